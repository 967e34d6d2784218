package server

import (
	"crypto/rand"
	"encoding/hex"
)

// randomSecret makes the development provider's client secret, new at each
// start: the provider and its only client live in the same process.
func randomSecret() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("server: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
