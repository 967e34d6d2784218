package web

import (
	"errors"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/errs"
)

type sample struct {
	Name   string   `json:"name"`
	Count  int      `json:"count"`
	OK     bool     `json:"ok"`
	Tags   []string `json:"tags"`
	Nested struct {
		At string `json:"at"`
	} `json:"nested"`
}

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		body   string
		ctype  string
		status int
		field  string
	}{
		{`{"name":"a","count":2,"ok":true,"tags":["x"],"nested":{"at":"now"}}`, "application/json", 0, ""},
		{`{"name":"a"}`, "application/json; charset=utf-8", 0, ""},
		{`{"name":"a"}`, "", 0, ""},
		{`{"name":"a"}`, "text/plain", 415, ""},
		{`{"name":`, "application/json", 400, ""},
		{``, "application/json", 400, ""},
		{`[1]`, "application/json", 400, ""},
		{`{} {}`, "application/json", 400, ""},
		{`{"count":"three"}`, "application/json", 422, "count"},
		{`{"count":1.5}`, "application/json", 422, "count"},
		{`{"nested":{"at":5}}`, "application/json", 422, "nested.at"},
		{`{"admin":true}`, "application/json", 422, "admin"},
	}
	for _, tc := range cases {
		var v sample
		err := decodeJSON([]byte(tc.body), tc.ctype, &v)
		if got := statusOfDecode(err); got != tc.status {
			t.Errorf("%q (%s): status %d, want %d (%v)", tc.body, tc.ctype, got, tc.status, err)
		}
		var val *errs.Validation
		if tc.field != "" && (!errors.As(err, &val) || !val.Has(tc.field)) {
			t.Errorf("%q: want a problem with %s, got %v", tc.body, tc.field, err)
		}
	}
}

func statusOfDecode(err error) int {
	if err == nil {
		return 0
	}
	return statusOf(err)
}

// FuzzDecodeJSON: whatever arrives, decoding answers nil or a refusal that
// maps to 400, 415 or 422, and never panics.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","count":2}`, `{"count":"x"}`, `{"tags":[1,2]}`, `{"nested":{"at":null}}`,
		`[]`, `null`, `"str"`, `{"a":1}`, "{\"name\":\"\xff\"}", `{"count":1e400}`, `{{{{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v sample
		err := decodeJSON(body, fiber.MIMEApplicationJSON, &v)
		switch s := statusOfDecode(err); s {
		case 0, fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		default:
			t.Fatalf("body %q: status %d (%v)", body, s, err)
		}
	})
}
