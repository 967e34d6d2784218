package motions_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The hint and the problem of the question whether a ballot is secret are
// read with its group of radio buttons, as on an election's page.
func TestPages_BallotFormDescribesItsGroups(t *testing.T) {
	f := newFixture(t)
	chair, _ := f.Member("Chair")
	mo := f.propose(f.board, text("Adopt the budget"))
	f.inSession(chair)
	cc := f.Client(chair)
	path := fmt.Sprintf("/motions/%d", mo.ID)

	page := string(cc.Get(path).Body)
	for _, want := range []string{`<fieldset aria-describedby="secret-hint">`, `<span class="hint" id="secret-hint">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the ballot form lacks %s", want)
		}
	}

	resp := cc.Do(http.MethodPost, path+"/ballots", url.Values{"secret": {"perhaps"}, "electorate": {"represented"}})
	page = string(resp.Body)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a ballot neither secret nor open: %d", resp.StatusCode)
	}
	for _, want := range []string{`<fieldset aria-describedby="secret-hint secret-error">`, `<span class="field-error" id="secret-error">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the refused ballot form lacks %s", want)
		}
	}
}
