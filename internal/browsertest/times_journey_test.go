package browsertest_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/osktest"
)

// A member in India reads a meeting in Helsinki and her own membership:
// each time gives her own beside the zone and UTC, inside the brackets,
// and the sentence around it reads on with its own punctuation.
func TestJourney_TimesInTheReadersZoneKeepTheSentence(t *testing.T) {
	t.Parallel()
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	board := newAccount(t, inst, "bo@example.org", "Bo Board", auth.RoleBoard)
	newMember(t, inst, board, "mia@example.org", "Mia Member")
	start := inst.Clock.Now().Add(10 * 24 * time.Hour).Truncate(time.Minute)
	m, err := inst.Server.Meetings.Create(ctx, board, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "Extraordinary general meeting",
		StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), TimeZone: "Europe/Helsinki",
		Location: "Helsinki", Agenda: []meetings.ItemInput{{Title: "Solar panels"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Server.Meetings.Convene(ctx, board, m.ID); err != nil {
		t.Fatal(err)
	}

	mia := browsertest.Open(t, inst.URL, browsertest.As("Mia, in Kolkata"), browsertest.InZone("Asia/Kolkata"))
	mia.SignIn("mia@example.org", "Mia Member")
	mia.Visit(fmt.Sprintf("/meetings/%d", m.ID))
	sentence := regexp.MustCompile(`You can register as present from [^()]+ \(Europe/Helsinki; [^()]+ UTC; your time: [^()]+\), one hour before the start\.`)
	if text := mia.TextOf("main"); !sentence.MatchString(text) {
		t.Errorf("the meeting's page does not read as one sentence with the reader's time:\n%s", text)
	}
	mia.NotSee(".,")
	mia.NotSee(". ,")

	mia.Visit("/membership")
	applied := regexp.MustCompile(`Applied\s+[^()]+ \(Europe/Helsinki; [^()]+ UTC; your time: [^()]+\)`)
	if text := mia.TextOf("main"); !applied.MatchString(text) {
		t.Errorf("the membership page gives no time in the reader's zone beside the co-op's:\n%s", text)
	}
}
