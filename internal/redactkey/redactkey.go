// Package redactkey holds the per-process key under which transport.Redact
// derives the tags of redacted URL parts. It is internal so that tests
// inside the module (golden files of the CLI) can fix it; nothing else may.
package redactkey

import "crypto/rand"

var key = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
	return k
}()

// Key returns the key. It is random per process: tags cannot be computed,
// compared across runs or reversed by anyone who reads a log.
func Key() []byte { return key }

// SetForTest replaces the key, so that a test's output is the same on every
// run. Call it from TestMain, before anything redacts.
func SetForTest(k []byte) { key = k }
