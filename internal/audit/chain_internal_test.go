package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"
)

// The worked example of CANONICAL.md, byte for byte.
func TestEnvelope_WorkedExample(t *testing.T) {
	actor := int64(7)
	first := appendEnvelope(nil, envelope{
		seq:     1,
		at:      time.Date(2025, 3, 14, 11, 26, 53, 589793999, time.FixedZone("EET", 2*60*60)),
		actor:   &actor,
		action:  []byte("member.admitted"),
		subject: []byte("member:42"),
		payload: []byte(`{"decision":"Board minutes 2025/3 §4","member_no":17}`),
	})
	const wantFirst = `{"action":"member.admitted","actor_account_id":7,"at":"2025-03-14T09:26:53.589793Z","payload":{"decision":"Board minutes 2025/3 §4","member_no":17},"seq":1,"subject":"member:42","v":1}`
	if string(first) != wantFirst {
		t.Fatalf("envelope 1\n got %s\nwant %s", first, wantFirst)
	}
	h1 := chainHash(nil, sha256.New(), make([]byte, HashSize), first)
	if got := hex.EncodeToString(h1); got != "81447144bedef9df8aadffb9b043f2792195446a0d09418ac459eab43419f181" {
		t.Fatalf("hash 1 = %s", got)
	}

	second := appendEnvelope(nil, envelope{
		seq:     2,
		at:      time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC),
		action:  []byte("ballot.closed"),
		subject: []byte("ballot:3"),
		payload: []byte(`{}`),
	})
	const wantSecond = `{"action":"ballot.closed","actor_account_id":null,"at":"2025-03-14T10:00:00.000000Z","payload":{},"seq":2,"subject":"ballot:3","v":1}`
	if string(second) != wantSecond {
		t.Fatalf("envelope 2\n got %s\nwant %s", second, wantSecond)
	}
	if got := hex.EncodeToString(chainHash(nil, sha256.New(), h1, second)); got != "d9dbf42cbb75aa64bdf660eb0ae5149fb50cd8b3b4bb78eb93db93ac3703d2e3" {
		t.Fatalf("hash 2 = %s", got)
	}
}

// The envelope is written by hand for speed; it must be canonical as is.
func TestEnvelope_IsCanonical(t *testing.T) {
	actor := int64(MaxSafeInteger)
	env := appendEnvelope(nil, envelope{
		seq:     MaxSafeInteger,
		at:      time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		actor:   &actor,
		action:  []byte("a.b"),
		subject: []byte("quote \" backslash \\ newline \n tab \t bell \a ☃"),
		payload: []byte(`{"":[],"z":{"a":null}}`),
	})
	again, err := Canonical(env)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(env) {
		t.Fatalf("envelope is not canonical:\n%s\n%s", env, again)
	}
}

// appendTime writes its digits by hand; it must agree with the layout for
// every time from year 1 to year 9999, in any zone.
func TestAppendTime_MatchesTheLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for range 100_000 {
		zone := time.FixedZone("", int(r.Int64N(24*3600))-12*3600)
		tm := time.Unix(first+r.Int64N(last-first+1), r.Int64N(1e9)).In(zone)
		want := tm.UTC().Truncate(time.Microsecond).Format(timeLayout)
		if got := string(appendTime(nil, tm)); got != want {
			t.Fatalf("appendTime(%s) = %s, want %s", tm, got, want)
		}
	}
}
