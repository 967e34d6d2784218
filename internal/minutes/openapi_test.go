package minutes_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The API document says of saving what saving does (API.md: each save is
// a new version), the text of the current version saved again included.
func TestOpenAPI_EverySaveMakesANewVersion(t *testing.T) {
	f := newFixture(t)
	m, _ := f.sealed("AGM with an addendum", "# Minutes\n\nThe accounts were adopted.\n")
	secretary := f.Client(f.secretary)
	addenda := fmt.Sprintf("/api/v1/meetings/%d/minutes/addenda", m.ID)
	resp := secretary.Do(http.MethodPost, addenda, map[string]any{"body": "Item 2: adopted unanimously."})
	wantStatus(t, "the addendum begins", resp.StatusCode, http.StatusCreated, resp.Body)
	held := f.heldMeeting("EGM")

	for i, path := range []string{fmt.Sprintf("/api/v1/meetings/%d/minutes", held.ID), addenda + "/1"} {
		var got struct {
			Version int `json:"version"`
		}
		for want := i + 1; want <= i+2; want++ {
			resp := secretary.Do(http.MethodPut, path, map[string]any{"body": "Item 2: adopted unanimously."})
			wantStatus(t, "saving "+path, resp.StatusCode, http.StatusOK, resp.Body)
			resp.JSON(t, &got)
			if got.Version != want {
				t.Fatalf("PUT %s of the same text: version %d, want %d", path, got.Version, want)
			}
		}
	}

	var doc struct {
		Paths map[string]map[string]struct {
			Summary string `json:"summary"`
		} `json:"paths"`
	}
	resp = f.Client(f.member).Get("/api/v1/openapi.json")
	wantStatus(t, "the API document", resp.StatusCode, http.StatusOK, resp.Body)
	resp.JSON(t, &doc)
	for _, path := range []string{"/api/v1/meetings/{id}/minutes", "/api/v1/meetings/{id}/minutes/addenda/{n}"} {
		summary := doc.Paths[path]["put"].Summary
		if !strings.Contains(summary, "every save makes one, the text of the current version saved again included") || strings.Contains(summary, "saves nothing") {
			t.Errorf("PUT %s is described as %q", path, summary)
		}
	}
}
