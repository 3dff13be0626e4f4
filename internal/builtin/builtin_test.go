package builtin

import (
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/trackerkit/trackerkit/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRegistered checks that importing builtin registers each built-in
// protocol under its schemes, in any case, and that each one builds a
// transport that closes cleanly.
func TestRegistered(t *testing.T) {
	tests := []struct {
		scheme, name string
	}{
		{"http", "http"},
		{"https", "http"},
		{"HTTPS", "http"},
		{"udp", "udp"},
		{"ws", "webrtc"},
		{"wss", "webrtc"},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			p, ok := transport.Lookup(tt.scheme)
			if !ok {
				t.Fatalf("Lookup(%q): not registered", tt.scheme)
			}
			if p.Name != tt.name {
				t.Fatalf("Lookup(%q).Name = %q, want %q", tt.scheme, p.Name, tt.name)
			}
			tr := p.New(transport.Options{})
			if tr == nil {
				t.Fatalf("%s: New returned nil", p.Name)
			}
			if err := tr.Close(); err != nil {
				t.Fatalf("%s: Close: %v", p.Name, err)
			}
		})
	}
	if _, ok := transport.Lookup("ftp"); ok {
		t.Error(`Lookup("ftp"): registered, want not`)
	}
	want := []string{"http", "https", "udp", "ws", "wss"}
	if got := transport.Schemes(); !slices.Equal(got, want) {
		t.Errorf("Schemes() = %v, want %v", got, want)
	}
}
