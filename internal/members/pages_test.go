package members_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/osktest"
)

func wantPage(t *testing.T, resp *osktest.Response, status int, texts ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, status, resp.Body)
	}
	for _, text := range texts {
		if !bytes.Contains(resp.Body, []byte(text)) {
			t.Errorf("%s %s does not say %q", resp.Request.Method, resp.Request.URL, text)
		}
	}
}

func wantRedirect(t *testing.T, resp *osktest.Response, to string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		t.Fatalf("%s %s: %d to %q, want 303 to %q\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, resp.Header.Get("Location"), to, resp.Body)
	}
}

var memberLink = regexp.MustCompile(`<a href="/members/(\d+)">Ngozi Adeyemi</a>`)

// TestPages_ApplyBoardAdmitsMemberSeesNumber follows an application
// through the pages alone, as people do it in a browser without
// JavaScript.
func TestPages_ApplyBoardAdmitsMemberSeesNumber(t *testing.T) {
	s := startSite(t)
	applicant := s.client("ngozi@example.org", "Ngozi Adeyemi")

	wantPage(t, applicant.Get("/"), http.StatusOK, `href="/membership"`)
	wantPage(t, applicant.Get("/membership"), http.StatusOK, "You are not a member", `href="/apply"`)
	wantPage(t, applicant.Get("/apply"), http.StatusOK, `<label for="name">Name</label>`, `name="accept_rules"`, `value="ngozi@example.org"`)

	// A form with mistakes comes back with a summary linking to each field.
	resp := applicant.Do(http.MethodPost, "/apply", url.Values{"kind": {"individual"}, "name": {strings.Repeat("N", 500)}, "email": {"ngozi@"}})
	wantPage(t, resp, http.StatusUnprocessableEntity, "There is a problem",
		`<a href="#name">`, `<a href="#email">`, `<a href="#country">`, `<a href="#accept_rules">`,
		`aria-invalid="true"`, `<title>Error: Apply to become a member`)

	resp = applicant.Do(http.MethodPost, "/apply", url.Values{
		"kind": {"individual"}, "name": {"Ngozi Adeyemi"}, "email": {"ngozi@example.org"}, "country": {"NG"},
		"address": {"4 Allen Avenue\nIkeja, Lagos"}, "statement": {"I lead a self-advocacy group."}, "accept_rules": {"yes"},
	})
	wantRedirect(t, resp, "/membership?done=applied")
	wantPage(t, applicant.Get("/membership?done=applied"), http.StatusOK, "your application has gone to the board", "Applied: waiting for the board")
	wantPage(t, applicant.Get("/members"), http.StatusForbidden)

	board := s.client("board@example.org", "Board Member", auth.RoleBoard)
	queue := board.Get("/members?status=applicant")
	wantPage(t, queue, http.StatusOK, "Applications waiting for the board", "Ngozi Adeyemi", `href="/api/v1/members/register.csv"`)
	m := memberLink.FindSubmatch(queue.Body)
	if m == nil {
		t.Fatalf("no link to the applicant in\n%s", queue.Body)
	}
	path := "/members/" + string(m[1])
	wantPage(t, board.Get(path), http.StatusOK, "I lead a self-advocacy group.", `href="`+path+`/admit"`, `href="`+path+`/reject"`)

	// Rejecting needs a reason; the board admits instead.
	wantPage(t, board.Get(path+"/reject"), http.StatusOK, `<label for="reason">Reason</label>`)
	wantPage(t, board.Do(http.MethodPost, path+"/reject", url.Values{"reason": {""}}), http.StatusUnprocessableEntity, `<a href="#reason">`)
	wantPage(t, board.Get(path+"/admit"), http.StatusOK, "Admit Ngozi Adeyemi")
	wantRedirect(t, board.Do(http.MethodPost, path+"/admit", url.Values{"decision": {"Board 2026/5 item 2"}}), path+"?done=admit")
	wantPage(t, board.Get(path+"?done=admit"), http.StatusOK, "The applicant is now a member", "Active member", "Board 2026/5 item 2")
	wantPage(t, board.Get(path+"/admit"), http.StatusConflict, "Only an applicant can be admitted")
	wantPage(t, board.Do(http.MethodPost, path+"/admit", url.Values{}), http.StatusConflict, "Only an applicant can be admitted")

	wantPage(t, applicant.Get("/membership"), http.StatusOK, "Active member", "<dt>Member number</dt><dd>1</dd>")
	if got := s.mailTo("ngozi@example.org"); len(got) != 2 || !strings.Contains(got[0].Subject, "member number 1") {
		t.Errorf("mail %+v", got)
	}

	// The member changes an address and resigns, through the pages.
	wantPage(t, applicant.Get(path+"/contact"), http.StatusOK, "4 Allen Avenue")
	wantPage(t, applicant.Do(http.MethodPost, path+"/contact", url.Values{"name": {"Ngozi Adeyemi"}, "email": {"bad"}, "country": {"NG"}}),
		http.StatusUnprocessableEntity, `<a href="#email">`)
	wantRedirect(t, applicant.Do(http.MethodPost, path+"/contact", url.Values{
		"name": {"Ngozi Adeyemi"}, "email": {"ngozi@example.org"}, "country": {"GH"}, "address": {"PO Box 1, Accra"},
	}), "/membership?done=contact")
	wantPage(t, applicant.Get("/membership"), http.StatusOK, "Ghana", "PO Box 1, Accra")
	wantPage(t, applicant.Get(path+"/resign"), http.StatusOK, "Your resignation takes effect now")
	wantRedirect(t, applicant.Do(http.MethodPost, path+"/resign", url.Values{}), "/membership?done=resign")
	wantPage(t, applicant.Get("/membership"), http.StatusOK, "Resigned")

	// The board's forms stay the board's.
	other := s.client("other@example.org", "Other Person")
	wantPage(t, other.Get(path), http.StatusNotFound)
	wantPage(t, applicant.Get(path+"/suspend"), http.StatusForbidden)
}

func TestPages_BoardRecordsSharesAndErases(t *testing.T) {
	s := startSite(t)
	board := s.client("board@example.org", "Board Member", auth.RoleBoard)
	auditor := s.client("auditor@example.org", "Auditor", auth.RoleAuditor)
	s.client("rep@example.org", "Grace Mwangi")
	newRep := s.client("newrep@example.org", "Joseph Otieno")
	ctx := context.Background()
	p, err := s.inst.Server.Auth.Principal(ctx, accountID(t, s, "rep@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	org, err := s.inst.Server.Members.Apply(ctx, p, members.Application{
		Kind: "organisation", Name: "CCS Disability Action", Email: "info@ccs.example.org", Country: "NZ", AcceptRules: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/members/%d", org.ID)
	wantRedirect(t, board.Do(http.MethodPost, path+"/admit", url.Values{"share_due": {"200"}}), path+"?done=admit")

	wantPage(t, board.Get(path+"/share"), http.StatusOK, "200.00 EUR")
	wantPage(t, board.Do(http.MethodPost, path+"/share", url.Values{"kind": {"payment"}, "amount": {"-5"}, "paid_on": {"tomorrow"}}),
		http.StatusUnprocessableEntity, `<a href="#amount">`, `<a href="#paid_on">`)
	wantRedirect(t, board.Do(http.MethodPost, path+"/share", url.Values{"kind": {"payment"}, "amount": {"200"}, "paid_on": {"2024-05-02"}}), path+"?done=share")
	wantRedirect(t, board.Do(http.MethodPost, path+"/share-due", url.Values{"amount": {"150"}}), path+"?done=share-due")
	wantPage(t, board.Get(path), http.StatusOK, "150.00 EUR due, 200.00 EUR paid", "Paid by the member")

	wantPage(t, board.Get(path+"/representative"), http.StatusOK, "Its representative now is Grace Mwangi")
	wantPage(t, board.Do(http.MethodPost, path+"/representative", url.Values{"email": {"nobody@example.org"}}), http.StatusUnprocessableEntity, `<a href="#email">`)
	// An organisation's vote goes to no account whose email nobody
	// confirmed: anyone may have signed in with it first.
	impostor := s.inst.Client(t)
	if err := impostor.TrySignIn("unconfirmed.rep@example.org", "Impostor", false); err != nil {
		t.Fatal(err)
	}
	wantPage(t, board.Do(http.MethodPost, path+"/representative", url.Values{"email": {"unconfirmed.rep@example.org"}}),
		http.StatusUnprocessableEntity, "Nobody confirmed that Impostor, who signed in as unconfirmed.rep@example.org, holds that address")
	wantRedirect(t, board.Do(http.MethodPost, path+"/representative", url.Values{"email": {"newrep@example.org"}}), path+"?done=representative")
	wantPage(t, newRep.Get("/membership"), http.StatusOK, "CCS Disability Action", "represented by Joseph Otieno")

	wantPage(t, board.Get(path+"/erase"), http.StatusConflict)
	wantRedirect(t, board.Do(http.MethodPost, path+"/expel", url.Values{"reason": {"Ceased to exist."}}), path+"?done=expel")
	wantPage(t, board.Do(http.MethodPost, path+"/erase", url.Values{}), http.StatusConflict, "record its refund first")
	wantRedirect(t, board.Do(http.MethodPost, path+"/share", url.Values{"kind": {"refund"}, "amount": {"200"}, "paid_on": {"2024-06-01"}}), path+"?done=share")
	wantRedirect(t, board.Do(http.MethodPost, path+"/erase", url.Values{}), path+"?done=erase")
	erased := auditor.Get(path)
	wantPage(t, erased, http.StatusOK, "Former member 1 (personal data erased)", "Personal data erased", "Ceased to exist.", "by account number only")
	// Its representatives applied and acted for it: their names would
	// name the organisation's people again.
	for _, name := range []string{"Grace Mwangi", "Joseph Otieno"} {
		if bytes.Contains(erased.Body, []byte(name)) {
			t.Errorf("the erased entry still names %s", name)
		}
	}
	wantPage(t, auditor.Get("/members?q=CCS"), http.StatusOK, "Nobody matches")
	if n := s.inst.DB.Count(t, `SELECT count(*) FROM mail_outbox WHERE member_id = $1 AND (to_address <> 'erased' OR body <> '')`, org.ID); n != 0 {
		t.Errorf("the outbox still holds %d messages to the erased organisation", n)
	}
	if n := s.inst.DB.Count(t, `SELECT count(*) FROM mail_outbox WHERE member_id = $1`, org.ID); n == 0 {
		t.Errorf("no message to the organisation was recorded as written to it")
	}
	wantPage(t, auditor.Get(path+"/erase"), http.StatusForbidden)
}

func accountID(t *testing.T, s *site, email string) int64 {
	t.Helper()
	acc, err := s.inst.Server.Auth.AccountByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

// The Name field tells the browser's autofill whose name it is: a
// person's, or an organisation's, by the kind of member.
func TestPages_TheNameFieldSaysWhoseNameItIs(t *testing.T) {
	s := startSite(t)
	people := s.inst.People(t)
	people.Person("Board Member", auth.RoleBoard)
	ada, own := people.Member("Ada Member")
	org := people.Organisation(ada, "Ada's Workshop")
	c := people.Client(ada)
	applicant := s.client("ngozi@example.org", "Ngozi Adeyemi")

	wantPage(t, applicant.Get("/apply"), http.StatusOK,
		`id="name" name="name" value="Ngozi Adeyemi" aria-describedby="name-hint" autocomplete="name" data-autocomplete-from="kind">`,
		`value="individual" data-autocomplete="name" checked>`, `value="organisation" data-autocomplete="organization">`)
	// Someone who is a member already can apply only for an organisation.
	wantPage(t, c.Get("/apply"), http.StatusOK, `aria-describedby="name-hint" autocomplete="organization" data-autocomplete-from="kind">`)
	wantPage(t, applicant.Do(http.MethodPost, "/apply", url.Values{"kind": {"organisation"}, "name": {"Ngozi's Group"}}), http.StatusUnprocessableEntity,
		`value="Ngozi&#39;s Group" aria-describedby="name-hint" autocomplete="organization" data-autocomplete-from="kind">`)

	wantPage(t, c.Get(fmt.Sprintf("/members/%d/contact", own.ID)), http.StatusOK, `id="name" name="name" value="Ada Member" autocomplete="name">`)
	wantPage(t, c.Get(fmt.Sprintf("/members/%d/contact", org.ID)), http.StatusOK, `id="name" name="name" value="Ada&#39;s Workshop" autocomplete="organization">`)
}

// Meetings and minutes are for members, the board and auditors: nobody
// else is offered them, and whoever reaches them anyway is told what
// would let them take part.
func TestPages_NonMembersAreToldHowToTakePart(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()
	people := s.inst.People(t)
	board := people.Person("Board Member", auth.RoleBoard)
	member, _ := people.Member("Mia Member")
	newcomer := people.Person("Nia Newcomer")
	applicant := people.Person("Abe Applicant")
	if _, err := s.inst.Server.Members.Apply(ctx, applicant, osktest.Individual(applicant)); err != nil {
		t.Fatal(err)
	}
	suspended, sm := people.Member("Sam Suspended")
	if _, err := s.inst.Server.Members.Suspend(ctx, board, sm.ID, "Did not answer the board's letters."); err != nil {
		t.Fatal(err)
	}
	menu := []string{`<li><a href="/meetings">Meetings</a></li>`, `<li><a href="/minutes">Minutes</a></li>`}
	const meetingsLink = `<a href="/meetings">Read the notice and agenda of the next general meeting</a>`

	for _, tc := range []struct {
		who   auth.Principal
		next  []string
		other string
	}{
		{newcomer, []string{"General meetings, their minutes and votes are for the co-op's members.", `<a href="/apply">Apply to become a member</a>`}, "Follow your application"},
		{applicant, []string{"Your application is waiting for the board's decision.", `<a href="/membership">Follow your application on your membership page</a>`}, `href="/apply">Apply to become a member</a>`},
		{suspended, []string{"Your membership is suspended.", `<a href="/membership">See your membership</a>`}, `href="/apply">Apply to become a member</a>`},
	} {
		c := people.Client(tc.who)
		own := c.Get("/membership")
		wantPage(t, own, http.StatusOK)
		for _, item := range menu {
			if bytes.Contains(own.Body, []byte(item)) {
				t.Errorf("%s is offered %s in the menu", tc.who.Name, item)
			}
		}
		home := c.Get("/")
		wantPage(t, home, http.StatusOK, "Once you are a member, read the notice and agenda of each general meeting")
		if bytes.Contains(home.Body, []byte(meetingsLink)) {
			t.Errorf("the home page offers %s the meetings", tc.who.Name)
		}
		for _, path := range []string{"/meetings", "/minutes"} {
			refused := c.Get(path)
			wantPage(t, refused, http.StatusForbidden, tc.next...)
			if bytes.Contains(refused.Body, []byte(tc.other)) {
				t.Errorf("%s refused at %s is told what is for someone else: %s", tc.who.Name, path, tc.other)
			}
		}
	}

	for _, who := range []auth.Principal{member, board} {
		c := people.Client(who)
		wantPage(t, c.Get("/membership"), http.StatusOK, menu...)
		wantPage(t, c.Get("/"), http.StatusOK, meetingsLink)
	}
	// What the home page promises the membership page, it keeps.
	wantPage(t, people.Client(member).Get("/"), http.StatusOK,
		`Follow your membership and your share on <a href="/membership">your membership page</a>, and give or withdraw a proxy on the page of each meeting.`)
}

// The register says each status in the same words in its tabs, its
// filter and a member's history, names the zone of its times, and the
// forms speak of the country list they show.
func TestPages_TheRegisterSpeaksInWords(t *testing.T) {
	s := startSite(t)
	people := s.inst.People(t)
	bp := people.Person("Board Member", auth.RoleBoard)
	mp, m := people.Member("Mia Member")
	board := people.Client(bp)

	register := board.Get("/members")
	wantPage(t, register, http.StatusOK,
		`<a href="/members?status=applicant">Applications (0)</a>`, `<a href="/members?status=rejected">Not accepted (0)</a>`,
		`<option value="applicant">Applications</option>`, `<option value="rejected">Not accepted</option>`,
		`<th scope="col">Applied (time in Europe/Helsinki)</th>`)
	if bytes.Contains(register.Body, []byte(">applicant</option>")) {
		t.Error("the status filter shows the status codes")
	}
	entry := board.Get(fmt.Sprintf("/members/%d", m.ID))
	wantPage(t, entry, http.StatusOK, "<td>Applied</td>", "<td>Active</td>", "(times in Europe/Helsinki)",
		`data-local-time data-zone="Europe/Helsinki">`)
	if bytes.Contains(entry.Body, []byte("<td>applicant</td>")) || bytes.Contains(entry.Body, []byte("<td>active</td>")) {
		t.Error("the status history shows the status codes")
	}

	own := people.Client(people.Person("Ngozi Adeyemi"))
	// Times read as the meetings' do: the zone by name, UTC, and a <time>
	// for the script that adds the reader's own.
	mine := people.Client(mp)
	wantPage(t, mine.Get("/membership"), http.StatusOK, `<dt>Applied</dt><dd><time datetime="`, `data-local-time data-zone="Europe/Helsinki">`, `(Europe/Helsinki; `, ` UTC)</span>`)

	apply := own.Get("/apply")
	wantPage(t, apply, http.StatusOK, `<a href="/rules">see the settings Osk takes from the rules</a>`, "registered with in the Finnish Trade Register")
	if bytes.Contains(apply.Body, []byte(`<a href="/rules">the co-op's rules</a>`)) {
		t.Error("the application presents the settings page as the co-op's rules")
	}
	refused := own.Do(http.MethodPost, "/apply", url.Values{"kind": {"individual"}, "name": {"Ngozi Adeyemi"}, "email": {"ngozi@example.org"}, "accept_rules": {"yes"}})
	wantPage(t, refused, http.StatusUnprocessableEntity, `<a href="#country">Choose a country from the list.</a>`)
	if bytes.Contains(refused.Body, []byte("two-letter code")) {
		t.Error("the form asks for a code that its country list cannot take")
	}
}
