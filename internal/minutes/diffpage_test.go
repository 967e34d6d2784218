package minutes_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/minutes"
)

// Texts that differ only in a final line break compare equal line by
// line, yet their fingerprints differ: the page must not call them the
// same text.
func TestDiffPage_SameTextOnlyWhenTheFingerprintsAgree(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("EGM on the bicycle shed")
	path := fmt.Sprintf("/meetings/%d/minutes", m.ID)
	var hashes []string
	for _, text := range []string{"# Minutes\n\nThe shed is to be built.", "# Minutes\n\nThe shed is to be built.\n", "# Minutes\n\nThe shed is to be built.\n"} {
		saved, err := f.svc.Save(f.ctx, f.secretary, minutes.Main(m.ID), text)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, saved.BodyHash)
	}
	if hashes[0] == hashes[1] || hashes[1] != hashes[2] {
		t.Fatalf("the fingerprints of the versions: %v", hashes)
	}
	chair := f.Client(f.chair)

	body := page(t, chair, http.MethodGet, path+"/diff?from=1&to=2", nil, http.StatusOK,
		"Versions 1 and 2 look the same line by line, but differ in line endings or in characters that do not show")
	if strings.Contains(body, "have the same text") {
		t.Errorf("versions with different fingerprints are called the same text:\n%s", body)
	}
	body = page(t, chair, http.MethodGet, path+"/diff?from=2&to=3", nil, http.StatusOK, "Versions 2 and 3 have the same text.")
	if strings.Contains(body, "look the same line by line") {
		t.Errorf("versions with the same fingerprint are said to differ:\n%s", body)
	}
	body = page(t, chair, http.MethodGet, path+"/diff?from=1&to=1", nil, http.StatusOK, "Versions 1 and 1 have the same text.")
	if strings.Contains(body, "look the same line by line") {
		t.Errorf("a version is said to differ from itself:\n%s", body)
	}
}

// A wrong choice of version is said beside its field, and the field
// points to it, as on every other form.
func TestDiffPage_WrongVersionErrorTiedToItsField(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("AGM with an addendum", "# Minutes\n\nThe accounts were adopted.\n")
	if _, err := f.svc.StartAddendum(f.ctx, f.secretary, m.ID, "Item 2: the accounts were adopted unanimously."); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/meetings/%d/minutes/addenda/1/diff", m.ID)
	chair := f.Client(f.chair)

	for _, field := range []string{"from", "to"} {
		other := map[string]string{"from": "to", "to": "from"}[field]
		for _, bad := range []string{"0", "abc", "2"} {
			body := page(t, chair, http.MethodGet, path+"?"+field+"="+bad, nil, http.StatusUnprocessableEntity,
				`href="#`+field+`"`,
				`<span class="field-error" id="`+field+`-error">Error: Choose one of the versions, 1 to 1.</span>`,
				`<select id="`+field+`" name="`+field+`" aria-describedby="`+field+`-error" aria-invalid="true">`)
			if strings.Contains(body, `id="`+other+`-error"`) || !strings.Contains(body, `<select id="`+other+`" name="`+other+`"><option`) {
				t.Errorf("%s=%s: the %s field is marked too:\n%s", field, bad, other, body)
			}
		}
	}
	page(t, chair, http.MethodGet, path+"?from=1&to=1", nil, http.StatusOK, `<select id="from" name="from"><option`)
}
