package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/trackerkit/trackerkit/internal/redactkey"
)

func TestMain(m *testing.M) {
	// A fixed key, so that redacted URLs in the golden files are the same
	// on every run (the key is random per process otherwise).
	redactkey.SetForTest([]byte("trackerkit golden files"))
	goleak.VerifyTestMain(m)
}
