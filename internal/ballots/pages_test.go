package ballots_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/rules"
)

var (
	formKeys    = regexp.MustCompile(`name="member_id" value="(\d+)">\s*<input type="hidden" name="key" value="([0-9a-f]+)">`)
	receiptCode = regexp.MustCompile(`<p class="receipt-code"><code>([a-z2-7]{26})</code></p>`)
	inputIDs    = regexp.MustCompile(`<input type="radio" id="([^"]+)"`)
)

func TestPages_VotingWithoutJavaScript(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	page := fmt.Sprintf("/ballots/%d", b.ID)
	alice := f.client(h.alice)

	show := alice.Get(page)
	body := string(show.Body)
	if show.StatusCode != 200 || !strings.Contains(body, "Test motion") {
		t.Fatalf("ballot page: %d %s", show.StatusCode, body)
	}
	// One form per member whose vote Alice casts: her own, and Bob's.
	forms := formKeys.FindAllStringSubmatch(body, -1)
	if len(forms) != 2 || !strings.Contains(body, "as the holder of their proxy") {
		t.Fatalf("%d vote forms", len(forms))
	}
	for _, id := range inputIDs.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `<label for="`+id[1]+`">`) {
			t.Errorf("the radio button %s has no label", id[1])
		}
	}
	if !strings.Contains(body, "a receipt shown to someone else proves your choice") {
		t.Error("the page does not say what a receipt proves")
	}
	// Each button says whose vote it casts.
	for _, want := range []string{
		fmt.Sprintf(`<button type="submit" class="button">Cast your own vote (member %d)</button>`, *h.aliceM.MemberNo),
		fmt.Sprintf(`<button type="submit" class="button">Cast the vote of Bob (member %d)</button>`, *h.bobM.MemberNo),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the proxy holder's page lacks %s", want)
		}
	}
	if strings.Contains(body, "Cast this vote") || strings.Contains(body, "Vote blank") {
		t.Error("the proxy holder's page has a button that does not say whose vote it casts, or a blank vote on a motion")
	}
	own, proxy := forms[0], forms[1]
	if own[1] != itoa(h.aliceM.ID) {
		own, proxy = proxy, own
	}

	// A form sent without a choice comes back with its error.
	bad := alice.Do(http.MethodPost, page+"/vote", url.Values{"member_id": {own[1]}, "key": {own[2]}})
	if bad.StatusCode != 422 || !strings.Contains(string(bad.Body), `href="#choice-`+own[1]+`-for"`) || !strings.Contains(string(bad.Body), `aria-describedby="choice-`+own[1]+`-error"`) {
		t.Fatalf("no choice: %d %s", bad.StatusCode, bad.Body)
	}

	voted := alice.Do(http.MethodPost, page+"/vote", url.Values{"member_id": {own[1]}, "key": {own[2]}, "choice": {"for"}})
	m := receiptCode.FindStringSubmatch(string(voted.Body))
	if voted.StatusCode != 201 || m == nil {
		t.Fatalf("vote: %d %s", voted.StatusCode, voted.Body)
	}
	receipt := m[1]
	if !strings.Contains(string(voted.Body), "anyone you show this receipt to can see how you voted") || !strings.Contains(string(voted.Body), "Cast the other vote you hold") {
		t.Fatalf("receipt page: %s", voted.Body)
	}
	// The record lists fingerprints, not receipts: the receipt page says
	// how to get from one to the other.
	if !strings.Contains(string(voted.Body), `enter this receipt at <a href="/receipts">Check your vote</a>`) ||
		!strings.Contains(string(voted.Body), "the fingerprint of your receipt") {
		t.Errorf("the receipt page does not say how to find the vote in the record: %s", voted.Body)
	}

	// Sending the same form again makes no second vote.
	again := alice.Do(http.MethodPost, page+"/vote", url.Values{"member_id": {own[1]}, "key": {own[2]}, "choice": {"against"}})
	if again.StatusCode != 200 || !strings.Contains(string(again.Body), "no second vote was made") || receiptCode.Match(again.Body) {
		t.Fatalf("resent form: %d %s", again.StatusCode, again.Body)
	}
	// A second vote from a fresh form is refused on the page.
	fresh := alice.Do(http.MethodPost, page+"/vote", url.Values{"member_id": {own[1]}, "key": {"another"}, "choice": {"against"}})
	if fresh.StatusCode != 409 || !strings.Contains(string(fresh.Body), "already recorded") {
		t.Fatalf("second vote: %d %s", fresh.StatusCode, fresh.Body)
	}

	// Alice now sees that she voted, and only Bob's form.
	body = string(alice.Get(page).Body)
	if !strings.Contains(body, "You have voted.") || len(formKeys.FindAllStringSubmatch(body, -1)) != 1 {
		t.Fatalf("after voting: %s", body)
	}
	if v := alice.Do(http.MethodPost, page+"/vote", url.Values{"member_id": {proxy[1]}, "key": {proxy[2]}, "choice": {"against"}}); v.StatusCode != 201 {
		t.Fatalf("proxy vote: %d", v.StatusCode)
	}
	if n := f.count(`SELECT count(*) FROM ballot_votes WHERE ballot_id = $1`, b.ID); n != 2 {
		t.Fatalf("%d votes", n)
	}

	// The chair closes from the page; a tie waits for the casting vote.
	chair := f.client(h.chair)
	chairPage := string(chair.Get(page).Body)
	if !strings.Contains(chairPage, "Close the ballot and count") || !strings.Contains(chairPage, `data-live="turnout">2 of 4`) {
		t.Fatalf("chair's page: %s", chairPage)
	}
	if r := alice.Do(http.MethodPost, page+"/close", url.Values{}); r.StatusCode != 403 {
		t.Fatalf("a member closes: %d", r.StatusCode)
	}
	if r := chair.Do(http.MethodPost, page+"/close", url.Values{}); r.StatusCode != 303 {
		t.Fatalf("close: %d %s", r.StatusCode, r.Body)
	}
	tied := string(chair.Get(page).Body)
	if !strings.Contains(tied, "Give the casting vote") {
		t.Fatalf("tie: %s", tied)
	}
	if r := chair.Do(http.MethodPost, page+"/casting-vote", url.Values{}); r.StatusCode != 422 || !strings.Contains(string(r.Body), `href="#casting-for"`) {
		t.Fatalf("casting vote without a choice: %d %s", r.StatusCode, r.Body)
	}
	if r := chair.Do(http.MethodPost, page+"/casting-vote", url.Values{"choice": {"for"}}); r.StatusCode != 303 {
		t.Fatalf("casting vote: %d %s", r.StatusCode, r.Body)
	}
	decided := string(alice.Get(page).Body)
	if !strings.Contains(decided, "The motion is carried.") || !strings.Contains(decided, "the chair's casting vote was for") {
		t.Fatalf("decided: %s", decided)
	}
	// Once decided, the chair has nothing left to do on the page.
	if done := string(chair.Get(page).Body); strings.Contains(done, "Chairing the ballot") {
		t.Fatalf("the chair's decided ballot still has a heading for the chair: %s", done)
	}

	record := alice.Get(page + "/record")
	if record.StatusCode != 200 || !strings.Contains(string(record.Body), hexOf(ballots.ReceiptHash(receipt))) {
		t.Fatalf("record page: %d", record.StatusCode)
	}
	if strings.Contains(string(record.Body), "The voting list (") {
		t.Fatal("a member sees the voting list")
	}
	if !strings.Contains(string(record.Body), `enter the receipt you were given at <a href="/receipts">Check your vote</a>: it shows your vote and the fingerprint to look for in this list`) {
		t.Error("the record does not send a voter with a receipt to the check that finds its fingerprint")
	}
	audited := f.client(f.auditor).Get(page + "/record")
	if !strings.Contains(string(audited.Body), "The voting list (4)") {
		t.Fatalf("the auditor's record page: %d", audited.StatusCode)
	}
	// The auditor checks the printed chain head against that event.
	if !regexp.MustCompile(`<a href="/audit\?seq=(\d+)">event (\d+) in the audit log</a>`).Match(audited.Body) {
		t.Error("the auditor's record page does not link its chain head to that event in the audit log")
	}

	// Anyone checks a receipt, signed in or not.
	anyone := f.inst.Client(t)
	if r := anyone.Get("/receipts"); r.StatusCode != 200 {
		t.Fatalf("receipts page: %d", r.StatusCode)
	}
	found := anyone.Do(http.MethodPost, "/receipts", url.Values{"receipt": {strings.ToUpper(receipt[:13]) + "-" + receipt[13:]}})
	if found.StatusCode != 200 || !strings.Contains(string(found.Body), "This receipt belongs to a vote") || !strings.Contains(string(found.Body), "Yes: the ballot is closed") {
		t.Fatalf("receipt check: %d %s", found.StatusCode, found.Body)
	}
	// The check names what was voted on, not the ballot's number.
	if named := fmt.Sprintf(`<dt>Voted on</dt><dd><a href="%s">Test motion %d</a></dd>`, page, b.SubjectID); !strings.Contains(string(found.Body), named) ||
		!strings.Contains(string(found.Body), "<dt>The vote</dt><dd>For</dd>") || strings.Contains(string(found.Body), "Ballot Ballot") {
		t.Fatalf("receipt check does not name the motion and the choice: %s", found.Body)
	}
	missing := anyone.Do(http.MethodPost, "/receipts", url.Values{"receipt": {"aaaaaaaaaaaaaaaaaaaaaaaaaa"}})
	if missing.StatusCode != 404 || !strings.Contains(string(missing.Body), "No vote has this receipt") {
		t.Fatalf("unknown receipt: %d %s", missing.StatusCode, missing.Body)
	}
	if empty := anyone.Do(http.MethodPost, "/receipts", url.Values{}); empty.StatusCode != 422 {
		t.Fatalf("empty receipt: %d", empty.StatusCode)
	}
}

func TestPages_OneVoteReadsInTheSingular(t *testing.T) {
	f := newFixture(t)
	f.setRules(func(r *rules.Rules) { r.BallotMinVotes = 1 })
	h := newHall(f)
	b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID})
	f.vote(h.alice, b.ID, ballots.ChoiceFor, nil)
	f.close(h.chair, b.ID)
	page := fmt.Sprintf("/ballots/%d", b.ID)
	alice := f.client(h.alice)
	for _, path := range []string{page, page + "/record"} {
		r := alice.Get(path)
		if r.StatusCode != 200 || !strings.Contains(string(r.Body), "At least 1 vote cast: met") || strings.Contains(string(r.Body), "1 votes") {
			t.Fatalf("%s: %d %s", path, r.StatusCode, r.Body)
		}
	}
}
