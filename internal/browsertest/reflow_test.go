package browsertest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/citizen-network/osk/internal/browsertest"
	"github.com/citizen-network/osk/internal/dbtest"
	"github.com/citizen-network/osk/internal/demo"
	"github.com/citizen-network/osk/internal/osktest"
)

// The demo co-op's pages on a screen 320 pixels wide, as on a small phone
// or a laptop zoomed to 400%: each reads in one column, with nothing to
// scroll sideways but a table within itself (WCAG 2.2, 1.4.10 Reflow).
// The demo brings what makes pages wide: long names and addresses, the
// register, the attendance list of a held meeting, the audit log, the
// versions of its minutes.
func TestReflow_TheDemoCoopAt320Pixels(t *testing.T) {
	t.Parallel()
	conn := dbtest.New(t)
	logins, err := demo.Seed(context.Background(), conn.DB, demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inst := osktest.Start(t, osktest.Options{DB: conn})
	var held, member int64
	if err := conn.Get(&held, `SELECT meeting_id FROM minutes ORDER BY meeting_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := conn.Get(&member, `SELECT id FROM members WHERE status = 'active' ORDER BY length(name) + length(address) DESC, id LIMIT 1`); err != nil {
		t.Fatal(err)
	}

	ines := browsertest.Open(t, inst.URL, browsertest.As("the auditor, on a small phone"))
	ines.Narrow(320)
	ines.SignIn(logins.Auditor, "Demo auditor")
	for _, path := range []string{
		"/members",
		fmt.Sprintf("/members/%d", member),
		fmt.Sprintf("/meetings/%d", held),
		fmt.Sprintf("/meetings/%d/attendance", held),
		fmt.Sprintf("/meetings/%d/minutes", held),
		fmt.Sprintf("/meetings/%d/minutes/versions", held),
		"/audit",
	} {
		ines.Visit(path)
		if ines.Status() != 200 {
			t.Errorf("%s answered %d", path, ines.Status())
		}
	}
	ines.Visit("/account/tokens")
	ines.Type("Name of the token (optional)", "quarterly export of the register to the accountants")
	ines.Submit("Create token")
	ines.See("Your new token")
}
