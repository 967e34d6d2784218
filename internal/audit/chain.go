package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"
)

// HashSize is the length of every hash in the chain (SHA-256).
const HashSize = sha256.Size

// Hash is a SHA-256 digest of the chain. In JSON it is lower-case hex.
type Hash []byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h) }

// MarshalText writes the hash in lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, h), nil }

// UnmarshalText reads a hash written in hex.
func (h *Hash) UnmarshalText(text []byte) error {
	b, err := hex.AppendDecode(nil, text)
	if err != nil {
		return fmt.Errorf("audit: hash: %w", err)
	}
	if len(b) != HashSize {
		return fmt.Errorf("audit: hash: %d bytes, want %d", len(b), HashSize)
	}
	*h = b
	return nil
}

// envelope is what one event's hash covers, apart from the previous hash.
// Its text fields are raw bytes so that Verify can hash rows as they stream
// from the database without copying them into strings.
type envelope struct {
	seq     int64
	at      time.Time
	actor   *int64
	action  []byte
	subject []byte
	payload []byte // already canonical
}

// appendEnvelope writes the canonical encoding of e (CANONICAL.md): an
// object whose keys are already in byte order, so it needs no sorting.
func appendEnvelope(dst []byte, e envelope) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendString(dst, e.action)
	dst = append(dst, `,"actor_account_id":`...)
	if e.actor == nil {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, *e.actor, 10)
	}
	dst = append(dst, `,"at":"`...)
	dst = appendTime(dst, e.at)
	dst = append(dst, `","payload":`...)
	dst = append(dst, e.payload...)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendInt(dst, e.seq, 10)
	dst = append(dst, `,"subject":`...)
	dst = appendString(dst, e.subject)
	dst = append(dst, `,"v":`...)
	dst = strconv.AppendInt(dst, CanonicalVersion, 10)
	return append(dst, '}')
}

// chainHash returns SHA-256(prev || env) appended to dst, using h (reset
// first) so that a caller hashing many events can reuse one.
func chainHash(dst []byte, h hash.Hash, prev, env []byte) []byte {
	h.Reset()
	h.Write(prev)
	h.Write(env)
	return h.Sum(dst)
}
