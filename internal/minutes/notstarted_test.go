package minutes_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/minutes"
)

// Minutes nobody has started have no page but the secretary's editor, so
// only the secretary is linked to them; the others are told who is to
// start them instead of being sent to "Not Found".
func TestMeetingPage_MinutesNotStartedLinkOnlyTheSecretary(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("EGM on the laundry room")
	meetingPath := fmt.Sprintf("/meetings/%d", m.ID)
	path := meetingPath + "/minutes"
	link := `<a href="` + path + `">The minutes of this meeting</a>`

	for name, p := range map[string]auth.Principal{"chair": f.chair, "checker": f.checker1, "board": f.board, "auditor": f.auditor} {
		body := page(t, f.Client(p), http.MethodGet, meetingPath, nil, http.StatusOK, "The secretary has not started the minutes yet.")
		if strings.Contains(body, `href="`+path+`"`) {
			t.Errorf("the %s's page of the meeting links to minutes nobody has started:\n%s", name, body)
		}
		page(t, f.Client(p), http.MethodGet, path, nil, http.StatusNotFound)
	}
	secretary := f.Client(f.secretary)
	page(t, secretary, http.MethodGet, meetingPath, nil, http.StatusOK, link, "Not started")
	page(t, secretary, http.MethodGet, path, nil, http.StatusOK, "Write the minutes")

	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), "# Minutes\n\nThe session opened.\n"); err != nil {
		t.Fatal(err)
	}
	chair := f.Client(f.chair)
	page(t, chair, http.MethodGet, meetingPath, nil, http.StatusOK, link, "Draft, version 1")
	page(t, chair, http.MethodGet, path, nil, http.StatusOK, "The session opened.")
}

func TestMeetingPage_MinutesOfAMeetingWithoutSecretary(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("EGM without a secretary")
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, m.ID, meetings.Officers{ChairAccountID: &f.chair.AccountID,
		CheckerAccountIDs: []int64{f.checker1.AccountID}}); err != nil {
		t.Fatal(err)
	}
	meetingPath := fmt.Sprintf("/meetings/%d", m.ID)
	body := page(t, f.Client(f.board), http.MethodGet, meetingPath, nil, http.StatusOK, "The meeting has no secretary to write its minutes.")
	if strings.Contains(body, `href="`+meetingPath+`/minutes"`) {
		t.Errorf("the page of a meeting without a secretary links to its minutes:\n%s", body)
	}
}

// The board's deadlines name the secretary of minutes not started and
// link to them only for that secretary, who alone can open them.
func TestDeadlinesPage_MinutesNotStartedLinkOnlyTheSecretary(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM on the courtyard")
	boardSecretary, _ := f.Member("Board Secretary", auth.RoleBoard)
	kept := f.inSession("EGM kept by the board")
	if _, err := f.inst.Server.Meetings.SetOfficers(f.ctx, f.board, kept.ID, meetings.Officers{ChairAccountID: &f.chair.AccountID,
		SecretaryAccountID: &boardSecretary.AccountID, CheckerAccountIDs: []int64{f.checker1.AccountID}}); err != nil {
		t.Fatal(err)
	}
	kept = f.closeSession(kept)
	path, keptPath := fmt.Sprintf("/meetings/%d/minutes", m.ID), fmt.Sprintf("/meetings/%d/minutes", kept.ID)

	body := page(t, f.Client(f.board), http.MethodGet, "/minutes/overdue", nil, http.StatusOK,
		"<h3>EGM on the courtyard</h3>", "<h3>EGM kept by the board</h3>",
		"Not started by the secretary; secretary Secretary Person", "Not started by the secretary; secretary Board Secretary")
	if strings.Contains(body, `href="`+path+`"`) || strings.Contains(body, `href="`+keptPath+`"`) {
		t.Errorf("the deadlines link the board to minutes nobody has started:\n%s", body)
	}
	page(t, f.Client(f.auditor), http.MethodGet, "/minutes/overdue", nil, http.StatusOK, "<h3>EGM on the courtyard</h3>")

	mine := f.Client(boardSecretary)
	body = page(t, mine, http.MethodGet, "/minutes/overdue", nil, http.StatusOK, `<a href="`+keptPath+`">EGM kept by the board</a>`)
	if strings.Contains(body, `href="`+path+`"`) {
		t.Errorf("the deadlines link a board member to minutes another secretary has not started:\n%s", body)
	}
	page(t, mine, http.MethodGet, keptPath, nil, http.StatusOK, "Write the minutes")

	f.submitted(m, "# Minutes\n\nThe courtyard is to be paved.\n")
	page(t, f.Client(f.board), http.MethodGet, "/minutes/overdue", nil, http.StatusOK, `<a href="`+path+`">EGM on the courtyard</a>`)
	page(t, f.Client(f.board), http.MethodGet, path, nil, http.StatusOK, "The courtyard is to be paved.")
}
