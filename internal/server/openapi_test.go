package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/osktest"
)

// TestOpenAPI keeps /api/v1/openapi.json in step with the registered routes:
// every API route is documented, and the document names no route that
// does not exist.
func TestOpenAPI(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	resp := inst.Client(t).Get("/api/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	resp.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	registered := map[string]bool{}
	for _, r := range inst.Server.App.GetRoutes(true) {
		if r.Method == http.MethodHead || !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		key := r.Method + " " + path
		registered[key] = true
		op, ok := doc.Paths[path][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s is registered but not in openapi.json", key)
			continue
		}
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
	}
	for path, methods := range doc.Paths {
		for method := range methods {
			key := strings.ToUpper(method) + " " + path
			if !registered[key] {
				t.Errorf("openapi.json documents %s, which is not registered", key)
			}
		}
	}
}
