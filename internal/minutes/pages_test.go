package minutes_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
)

// page requests a page and fails unless it answers status with every
// fragment in its body.
func page(t *testing.T, c *osktest.Client, method, path string, form url.Values, status int, fragments ...string) string {
	t.Helper()
	var resp *osktest.Response
	if form == nil {
		resp = c.Do(method, path, nil)
	} else {
		resp = c.Do(method, path, form)
	}
	body := string(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d\n%s", method, path, resp.StatusCode, status, body)
	}
	for _, frag := range fragments {
		if !strings.Contains(body, frag) {
			t.Fatalf("%s %s lacks %q:\n%s", method, path, frag, body)
		}
	}
	if status == http.StatusSeeOther {
		return resp.Header.Get("Location")
	}
	return body
}

func TestPages_FromTheEditorToThePrintedMinutes(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM on energy")
	path := fmt.Sprintf("/meetings/%d/minutes", m.ID)
	secretary, chair, checker1, checker2, member := f.Client(f.secretary), f.Client(f.chair), f.Client(f.checker1), f.Client(f.checker2), f.Client(f.member)

	page(t, secretary, http.MethodGet, "/minutes", nil, http.StatusOK, "Waiting for you", path, "Write the minutes: the first draft is pre-filled")
	page(t, secretary, http.MethodGet, path, nil, http.StatusOK, `href="`+path+`/edit"`)
	page(t, secretary, http.MethodGet, path+"/edit", nil, http.StatusOK, "pre-filled from the meeting's record", "## Attendance", `name="action" value="preview"`)
	page(t, member, http.MethodGet, path+"/edit", nil, http.StatusNotFound)
	page(t, chair, http.MethodGet, path+"/edit", nil, http.StatusNotFound)

	text := "# Minutes\n\nThe chair **opened** the meeting.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n"
	body := page(t, secretary, http.MethodPost, path+"/edit", url.Values{"body": {text}, "action": {"preview"}}, http.StatusOK,
		"<h2 id=\"preview-title\">Preview</h2>", "<strong>opened</strong>", "&lt;script&gt;alert(1)&lt;/script&gt;")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `href="javascript:`) {
		t.Fatalf("the preview lets script through:\n%s", body)
	}
	page(t, secretary, http.MethodPost, path+"/edit", url.Values{"body": {"  "}, "action": {"save"}}, http.StatusUnprocessableEntity,
		"There is a problem", `href="#body"`, `aria-invalid="true"`)
	if loc := page(t, secretary, http.MethodPost, path+"/edit", url.Values{"body": {text}, "action": {"save"}}, http.StatusSeeOther); loc != path+"?done=saved" {
		t.Fatalf("saved, then to %s", loc)
	}
	page(t, chair, http.MethodGet, path+"/edit", nil, http.StatusForbidden)
	page(t, secretary, http.MethodPost, path+"/edit", url.Values{"body": {strings.Replace(text, "opened", "opened at 18:05", 1)}, "action": {"save"}}, http.StatusSeeOther)
	page(t, secretary, http.MethodGet, path+"/versions", nil, http.StatusOK, path+"/versions/1", path+"/versions/2", "Compare two versions")
	page(t, chair, http.MethodGet, path+"/diff?from=1&to=2", nil, http.StatusOK, `<span class="visually-hidden">Removed</span>`,
		`<span class="visually-hidden">Added</span>`, "The chair **opened at 18:05** the meeting.")
	page(t, chair, http.MethodGet, path+"/diff?from=1&to=7", nil, http.StatusUnprocessableEntity, `href="#to"`)
	page(t, chair, http.MethodGet, path+"/versions/1", nil, http.StatusOK, "<strong>opened</strong>")
	page(t, member, http.MethodGet, path+"/versions", nil, http.StatusNotFound)

	if loc := page(t, secretary, http.MethodPost, path+"/submit", url.Values{}, http.StatusSeeOther); loc != path+"?done=submitted" {
		t.Fatalf("submitted, then to %s", loc)
	}
	page(t, chair, http.MethodGet, path, nil, http.StatusOK, `<input type="hidden" name="version" value="2">`, "Sign version 2", "Send back with this comment")
	page(t, checker1, http.MethodPost, path+"/return", url.Values{"version": {"2"}, "comment": {""}}, http.StatusUnprocessableEntity, `href="#comment"`)
	page(t, chair, http.MethodPost, path+"/sign", url.Values{"version": {"1"}}, http.StatusConflict, "Version 1 is not the one waiting for signatures")
	if loc := page(t, chair, http.MethodPost, path+"/sign", url.Values{"version": {"2"}}, http.StatusSeeOther); loc != path+"?done=signed" {
		t.Fatalf("signed, then to %s", loc)
	}
	page(t, member, http.MethodPost, path+"/sign", url.Values{"version": {"2"}}, http.StatusNotFound)
	page(t, checker1, http.MethodPost, path+"/sign", url.Values{"version": {"2"}}, http.StatusSeeOther)
	if loc := page(t, checker2, http.MethodPost, path+"/sign", url.Values{"version": {"2"}}, http.StatusSeeOther); loc != path+"?done=sealed" {
		t.Fatalf("sealed, then to %s", loc)
	}

	body = page(t, member, http.MethodGet, path, nil, http.StatusOK, "Signatures and seal", "Chair Person", "First Checker", "Second Checker",
		"Minute checker", "SHA-256 of the text", "Audit log when sealed", "use your browser's print command")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "Send back") {
		t.Fatalf("the sealed minutes:\n%s", body)
	}
	page(t, member, http.MethodGet, "/minutes", nil, http.StatusOK, "Minutes: EGM on energy")
	page(t, secretary, http.MethodGet, path+"/edit", nil, http.StatusConflict)
	page(t, f.Client(f.outsider), http.MethodGet, "/minutes", nil, http.StatusForbidden)

	// The addendum that corrects them.
	page(t, secretary, http.MethodGet, path, nil, http.StatusOK, `href="/meetings/`)
	page(t, secretary, http.MethodGet, path+"/addenda", nil, http.StatusOK, "Write an addendum to the minutes")
	page(t, chair, http.MethodGet, path+"/addenda", nil, http.StatusForbidden)
	loc := page(t, secretary, http.MethodPost, path+"/addenda", url.Values{"body": {"Item 1: the meeting opened at 18:07."}, "action": {"save"}}, http.StatusSeeOther)
	if loc != path+"/addenda/1?done=addendum" {
		t.Fatalf("the addendum, then to %s", loc)
	}
	page(t, secretary, http.MethodGet, path+"/addenda/1", nil, http.StatusOK, "Addendum 1 to the minutes: EGM on energy", "18:07")
	page(t, member, http.MethodGet, path+"/addenda/1", nil, http.StatusNotFound)

	page(t, member, http.MethodGet, "/static/css/osk.css", nil, http.StatusOK, "@media print", "size: A4")
}

func TestMeetingPage_LinksToItsElectionsMinutesAndAuditBundle(t *testing.T) {
	f := newFixture(t)
	m := f.inSession("AGM with a board election")
	e, err := f.inst.Server.Elections.Create(f.ctx, f.board, m.ID, elections.NewElection{Title: "Members of the board", Seats: 2})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/meetings/%d", m.ID)
	minutesLink := fmt.Sprintf(`<a href="/meetings/%d/minutes">The minutes of this meeting</a>`, m.ID)
	electionLink := fmt.Sprintf(`<a href="/elections/%d">Members of the board (2 seats)</a> <span class="tag">Taking nominations</span>`, e.ID)
	bundle := fmt.Sprintf(`<a href="/api/v1/audit/meetings/%d/bundle" download>Download the audit bundle (JSON)</a>`, m.ID)

	body := page(t, f.Client(f.member), http.MethodGet, path, nil, http.StatusOK, electionLink,
		"The minutes are published here once the chair and the minute checkers have signed them.")
	if strings.Contains(body, minutesLink) || strings.Contains(body, "audit bundle") {
		t.Fatalf("a member's page of the meeting:\n%s", body)
	}
	page(t, f.Client(f.secretary), http.MethodGet, path, nil, http.StatusOK, electionLink, minutesLink, "Not started")
	page(t, f.Client(f.auditor), http.MethodGet, path, nil, http.StatusOK, electionLink, "The secretary has not started the minutes yet.", bundle)
	if strings.Contains(page(t, f.Client(f.board), http.MethodGet, path, nil, http.StatusOK, "The secretary has not started the minutes yet."), "audit bundle") {
		t.Fatal("the board's page of the meeting links to the audit bundle")
	}

	m = f.closeSession(m)
	f.submitted(m, "# Minutes\n\nThe meeting elected nobody.\n")
	for _, p := range []auth.Principal{f.chair, f.checker1, f.checker2} {
		if _, err := f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	page(t, f.Client(f.member), http.MethodGet, path, nil, http.StatusOK, minutesLink, "Signed and sealed")
}

// The secretary's section appears once there is something to do in it,
// and the archive says what the seal it shows is for.
func TestPages_SecretarySectionAndTheSealInTheArchive(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM on the budget")
	path := fmt.Sprintf("/meetings/%d/minutes", m.ID)
	secretary := f.Client(f.secretary)

	body := page(t, secretary, http.MethodGet, path, nil, http.StatusOK, "The secretary has not saved the minutes yet.", "Write the minutes")
	if strings.Contains(body, "For the secretary") {
		t.Error("the page has a heading for the secretary with nothing under it before a draft exists")
	}
	if _, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), "# Minutes\n\nThe budget was adopted.\n"); err != nil {
		t.Fatal(err)
	}
	page(t, secretary, http.MethodGet, path, nil, http.StatusOK, `<h2 id="secretary-title">For the secretary</h2>`, "Submit version 1 for signing")

	_, sealed := f.sealed("AGM with sealed minutes", "# Minutes\n\nThe accounts were adopted.\n")
	archive := page(t, f.Client(f.member), http.MethodGet, "/minutes", nil, http.StatusOK,
		"<summary>The seal, for checking these minutes</summary>", "The fingerprint (SHA-256) of the sealed record", *sealed.SealedHash)
	if strings.Contains(archive, "Sealed with") {
		t.Error("the archive shows a bare hash as what the minutes were sealed with")
	}
}
