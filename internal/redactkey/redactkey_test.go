package redactkey

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKey(t *testing.T) {
	k := Key()
	if len(k) != 32 || bytes.Equal(k, make([]byte, 32)) {
		t.Fatalf("key %x", k)
	}
	SetForTest([]byte("x"))
	defer SetForTest(k)
	if string(Key()) != "x" {
		t.Fatal("SetForTest")
	}
}
