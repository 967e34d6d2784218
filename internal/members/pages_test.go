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
	wantRedirect(t, board.Do(http.MethodPost, path+"/representative", url.Values{"email": {"newrep@example.org"}}), path+"?done=representative")
	wantPage(t, newRep.Get("/membership"), http.StatusOK, "CCS Disability Action", "represented by Joseph Otieno")

	wantPage(t, board.Get(path+"/erase"), http.StatusConflict)
	wantRedirect(t, board.Do(http.MethodPost, path+"/expel", url.Values{"reason": {"Ceased to exist."}}), path+"?done=expel")
	wantPage(t, board.Do(http.MethodPost, path+"/erase", url.Values{}), http.StatusConflict, "record its refund first")
	wantRedirect(t, board.Do(http.MethodPost, path+"/share", url.Values{"kind": {"refund"}, "amount": {"200"}, "paid_on": {"2024-06-01"}}), path+"?done=share")
	wantRedirect(t, board.Do(http.MethodPost, path+"/erase", url.Values{}), path+"?done=erase")
	wantPage(t, auditor.Get(path), http.StatusOK, "Former member 1 (personal data erased)", "Personal data erased", "Ceased to exist.")
	wantPage(t, auditor.Get("/members?q=CCS"), http.StatusOK, "Nobody matches")
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
