package minutes_test

import (
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
