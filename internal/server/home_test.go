package server_test

import (
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// The home page invites to apply those who are not members, and shows
// members their membership page instead.
func TestHome_InvitesOnlyThoseWhoAreNotMembers(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	people := inst.People(t)
	people.Person("Board", "board")
	member, _ := people.Member("Ada Member")
	visitor := people.Person("Visitor")
	const invitation = "Apply to become a member-owner"
	for _, tc := range []struct {
		name   string
		page   string
		invite bool
	}{
		{"anonymous", string(inst.Client(t).Get("/").Body), true},
		{"a visitor", string(people.Client(visitor).Get("/").Body), true},
		{"a member", string(people.Client(member).Get("/").Body), false},
	} {
		if strings.Contains(tc.page, invitation) != tc.invite {
			t.Errorf("%s: invited to apply %v, want %v", tc.name, !tc.invite, tc.invite)
		}
	}
}
