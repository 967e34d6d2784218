package minutes_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
)

func TestArchive_SearchIsRankedWithEscapedSnippets(t *testing.T) {
	f := newFixture(t)
	once, _ := f.sealed("EGM on heating", "# Heating\n\nThe meeting heard a short word on solar panels, then moved on to district heating and the budget of the year.")
	most, _ := f.sealed("EGM on solar energy", "# Solar energy\n\nSolar panels on every roof: the solar plan of the board. R&D costs stay under 5 % and `<img src=x onerror=alert(1)>` is quoted.")
	none, _ := f.sealed("AGM", "# The annual meeting\n\nThe financial statements were adopted.")

	c := f.Client(f.member)
	var page minutes.ArchivePage
	resp := c.Get("/api/v1/minutes?q=" + url.QueryEscape("solar"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %d %s", resp.StatusCode, resp.Body)
	}
	resp.JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].MeetingID != most.ID || page.Items[1].MeetingID != once.ID || page.NextCursor != nil {
		t.Fatalf("search results %+v", page.Items)
	}
	if *page.Items[0].Rank <= *page.Items[1].Rank {
		t.Fatalf("ranks %v and %v", *page.Items[0].Rank, *page.Items[1].Rank)
	}
	best, other := string(page.Items[0].Snippet), string(page.Items[1].Snippet)
	for _, want := range []string{"<mark>Solar</mark>", "<mark>solar</mark>", "R&amp;D"} {
		if !strings.Contains(best, want) {
			t.Errorf("the snippet %q lacks %q", best, want)
		}
	}
	if !strings.Contains(other, "<mark>solar</mark>") {
		t.Errorf("the snippet %q has no highlight", other)
	}
	for _, snippet := range []string{best, other} {
		rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(snippet)
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("the snippet %q holds markup other than <mark>", snippet)
		}
	}

	// One result a page, with the cursor for the next.
	resp = c.Get("/api/v1/minutes?limit=1&q=solar")
	page = minutes.ArchivePage{}
	resp.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].MeetingID != most.ID || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	resp = c.Get("/api/v1/minutes?limit=1&q=solar&cursor=" + url.QueryEscape(*page.NextCursor))
	page = minutes.ArchivePage{}
	resp.JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].MeetingID != once.ID {
		t.Fatalf("second page %+v", page)
	}

	// Without a query, every sealed document, the latest sealed first.
	all, err := f.svc.Archive(f.ctx, f.board, minutes.ArchiveFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 3 || all.Items[0].MeetingID != none.ID || all.Items[2].MeetingID != once.ID || all.Items[0].Snippet != "" {
		t.Fatalf("the archive %+v", all.Items)
	}
	first, err := f.svc.Archive(f.ctx, f.board, minutes.ArchiveFilter{Limit: 1})
	if err != nil || first.NextCursor == nil {
		t.Fatalf("a page of one: %v %+v", err, first)
	}
	_, err = f.svc.Archive(f.ctx, f.board, minutes.ArchiveFilter{Query: "solar", Cursor: *first.NextCursor})
	osktest.WantFields(t, err, "cursor")
	_, err = f.svc.Archive(f.ctx, f.member, minutes.ArchiveFilter{Query: strings.Repeat("solar ", 50)})
	osktest.WantFields(t, err, "q")

	// The page shows the same, with the highlight.
	body := string(c.Get("/minutes?q=solar").Body)
	if !strings.Contains(body, "<mark>Solar</mark>") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "Minutes: EGM on solar energy") {
		t.Fatalf("the archive page:\n%s", body)
	}
	for _, p := range []auth.Principal{f.outsider, f.admin} {
		_, err := f.svc.Archive(f.ctx, p, minutes.ArchiveFilter{})
		osktest.WantKind(t, err, errs.Forbidden)
	}
	if resp := f.inst.Client(t).Get("/api/v1/minutes"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
}

// A snippet quotes the minutes as their page reads, not the Markdown
// escapes the pre-filled draft puts around names and titles.
func TestArchive_SnippetsReadAsThePage(t *testing.T) {
	f := newFixture(t)
	m := f.heldMeeting("Budget <draft> & plan | 2026")
	draft, err := f.svc.Get(f.ctx, f.secretary, minutes.Main(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(draft.Body, `# Minutes: Budget \<draft\> \& plan \| 2026`) {
		t.Fatalf("the draft does not escape the title:\n%s", draft.Body)
	}
	f.submitted(m, draft.Body)
	for _, p := range []auth.Principal{f.chair, f.checker1, f.checker2} {
		if _, err := f.svc.Sign(f.ctx, p, minutes.Main(m.ID), nil); err != nil {
			t.Fatal(err)
		}
	}
	page, err := f.svc.Archive(f.ctx, f.member, minutes.ArchiveFilter{Query: "budget"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("search: %v %+v", err, page)
	}
	snippet := string(page.Items[0].Snippet)
	if !strings.Contains(snippet, "<mark>Budget</mark> &lt;draft&gt; &amp; plan | 2026") || strings.Contains(snippet, `\`) {
		t.Fatalf("the snippet %q", snippet)
	}
	// A word in angle brackets is a word, not a tag, to the search too.
	if found, err := f.svc.Archive(f.ctx, f.member, minutes.ArchiveFilter{Query: "draft"}); err != nil || len(found.Items) != 1 {
		t.Fatalf("searching for a word written in angle brackets: %v %+v", err, found)
	}
	if r := f.verify(); !r.OK {
		t.Fatalf("verify: %+v", r.Problems)
	}
}

// A cursor with a time PostgreSQL cannot hold is refused as any cursor Osk
// did not give out is.
func TestArchive_RefusesACursorOutOfRange(t *testing.T) {
	f := newFixture(t)
	f.sealed("EGM", "The minutes.")
	c := f.Client(f.member)
	cursor := func(micros string) string {
		return base64.RawURLEncoding.EncodeToString([]byte("s." + micros + ".1"))
	}
	for _, micros := range []string{"-9223372036854775808", "9223372036854775807", "-62135596800000001", "253402300800000000"} {
		resp := c.Get("/api/v1/minutes?cursor=" + cursor(micros))
		wantStatus(t, "the cursor of "+micros, resp.StatusCode, http.StatusUnprocessableEntity, resp.Body)
		var p problem
		resp.JSON(t, &p)
		if len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
			t.Fatalf("the problem with %s: %s", micros, resp.Body)
		}
	}
	for _, micros := range []string{"-62135596800000000", "0", "253402300799999999"} {
		resp := c.Get("/api/v1/minutes?cursor=" + cursor(micros))
		wantStatus(t, "the cursor of "+micros, resp.StatusCode, http.StatusOK, resp.Body)
	}
}
