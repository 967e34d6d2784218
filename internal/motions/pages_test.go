package motions_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/motions"
)

func TestPages_ProposeSecondAndWithdrawWithoutJavaScript(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Proposer")
	c := f.Client(p)
	list := fmt.Sprintf("/meetings/%d/motions", f.meeting.ID)

	// The meeting's page links to its motions.
	if resp := c.Get(fmt.Sprintf("/meetings/%d", f.meeting.ID)); !strings.Contains(string(resp.Body), `href="`+list+`"`) {
		t.Errorf("the meeting's page has no link to %s", list)
	}
	resp := c.Get(list)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(resp.Body), `action="`+list+`"`) {
		t.Fatalf("motions page: %d, with no form to propose", resp.StatusCode)
	}

	// A failed form comes back with the error summary and the fields
	// marked, keeping what was typed.
	resp = c.Do(http.MethodPost, list, url.Values{"title": {""}, "body": {"Plant **trees**."}, "agenda_item_id": {"999999"}})
	page := string(resp.Body)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	for _, want := range []string{`class="error-summary"`, `href="#title"`, `href="#agenda_item_id"`, `id="title" name="title" value="" aria-describedby="title-hint title-error" aria-invalid="true"`, "Plant **trees**."} {
		if !strings.Contains(page, want) {
			t.Errorf("failed form lacks %s", want)
		}
	}

	resp = c.Do(http.MethodPost, list, url.Values{"title": {"Plant trees"}, "body": {"Plant **trees** in the yard."}, "agenda_item_id": {fmt.Sprint(f.item)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d %s", resp.StatusCode, resp.Body)
	}
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^/motions/(\d+)\?done=proposed$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("redirect to %q", loc)
	}
	path := "/motions/" + m[1]
	page = string(c.Get(path).Body)
	for _, want := range []string{"<strong>trees</strong>", "Waiting for a seconder", `action="` + path + `/withdraw"`, `action="` + path + `/amendments"`} {
		if !strings.Contains(page, want) {
			t.Errorf("motion page lacks %s", want)
		}
	}
	if strings.Contains(page, `action="`+path+`/second"`) {
		t.Error("the proposer is offered to second their own motion")
	}

	s, _ := f.Member("Bertta Seconder")
	sc := f.Client(s)
	if page := string(sc.Get(path).Body); !strings.Contains(page, `action="`+path+`/second"`) || strings.Contains(page, `action="`+path+`/withdraw"`) {
		t.Error("another member is not offered to second, or is offered to withdraw")
	}
	resp = sc.Do(http.MethodPost, path+"/second", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second: %d %s", resp.StatusCode, resp.Body)
	}
	// Seconding twice: the page says why.
	resp = sc.Do(http.MethodPost, path+"/second", url.Values{})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(resp.Body), "already been seconded") {
		t.Errorf("second twice: %d", resp.StatusCode)
	}

	// An amendment from the motion's page starts from the current text.
	resp = sc.Do(http.MethodPost, path+"/amendments", url.Values{"title": {"Oaks"}, "body": {"Plant **oaks** in the yard."}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=amended") {
		t.Fatalf("amend: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if page := string(c.Get(path).Body); !strings.Contains(page, "Oaks") {
		t.Error("the motion's page does not list its amendment")
	}

	resp = c.Do(http.MethodPost, path+"/withdraw", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if page := string(c.Get(path + "?done=withdrawn").Body); !strings.Contains(page, "The motion was withdrawn.") {
		t.Error("no confirmation of the withdrawal")
	}
}

func TestPages_MotionTextIsRenderedSafely(t *testing.T) {
	f := newFixture(t)
	d := f.propose(f.board, motions.Proposal{Title: "Safe text", Body: "# Heading\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror=alert(3)>"})
	page := string(f.Client(f.board).Get(fmt.Sprintf("/motions/%d", d.ID)).Body)
	// The text is in the amendment form too, escaped; no markup of it may
	// run.
	for _, bad := range []string{"<script>alert", `href="javascript:`, "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page carries %q", bad)
		}
	}
	// The text's headings sit below the page's own.
	if !strings.Contains(page, "<h3>Heading</h3>") {
		t.Error("the text's heading is not shifted below the page's")
	}
}

func TestPages_ChairSeesTheBallotFormOnlyWhenReady(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	p, _ := f.Member("Aino Proposer")
	main := f.propose(f.board, text("Adopt the budget"))
	amendment := f.propose(p, motions.Proposal{Title: "Smaller budget", Body: "Adopt a smaller budget.", AmendsMotionID: &main.ID})
	seconder, _ := f.Member("Bertta Seconder")
	f.second(seconder, amendment.ID)
	f.inSession(chair)
	cc := f.Client(chair)
	path := fmt.Sprintf("/motions/%d", main.ID)
	page := string(cc.Get(path).Body)
	if strings.Contains(page, `action="`+path+`/ballots"`) || !strings.Contains(page, "Amendments are voted on first") {
		t.Error("the chair is offered a ballot on a motion with an open amendment")
	}
	if _, err := f.svc.Withdraw(f.ctx, p, amendment.ID); err != nil {
		t.Fatal(err)
	}
	page = string(cc.Get(path).Body)
	for _, want := range []string{`action="` + path + `/ballots"`, `name="secret" value="yes"`, `type="datetime-local" id="closes_at"`} {
		if !strings.Contains(page, want) {
			t.Errorf("ballot form lacks %s", want)
		}
	}
	// A member who does not chair sees no ballot form.
	if page := string(f.Client(p).Get(path).Body); strings.Contains(page, `action="`+path+`/ballots"`) {
		t.Error("a member is offered to open a ballot")
	}
	// A bad closing time comes back by its field.
	resp := cc.Do(http.MethodPost, path+"/ballots", url.Values{"secret": {"no"}, "electorate": {"represented"}, "closes_at": {"yesterday"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), `href="#closes_at"`) {
		t.Errorf("bad closing time: %d", resp.StatusCode)
	}
}

// After the deadline, a member is pointed to amendments only when there
// are motions to amend.
func TestPages_AmendmentHintOnlyWithMotions(t *testing.T) {
	f := newFixture(t)
	p, _ := f.Member("Aino Member")
	c := f.Client(p)
	list := fmt.Sprintf("/meetings/%d/motions", f.meeting.ID)
	f.inst.Clock.Set(f.meeting.MemberMotionDeadline.Add(time.Hour))
	const hint = "You can still propose amendments to the motions above"

	empty := string(c.Get(list).Body)
	if !strings.Contains(empty, "No motions yet.") || !strings.Contains(empty, "The deadline for members' motions has passed") {
		t.Fatalf("the empty list after the deadline:\n%s", empty)
	}
	if strings.Contains(empty, hint) {
		t.Error("a list without motions points to amendments of the motions above")
	}

	f.propose(f.board, text("Adopt the budget"))
	if page := string(c.Get(list).Body); !strings.Contains(page, hint) {
		t.Error("a list with a motion does not say that amendments can still be proposed")
	}
}
