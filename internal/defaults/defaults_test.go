package defaults

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestRules checks the three rules on the same values, at, below and above
// zero: only Positive replaces a negative value, only OffBelowZero turns
// it off, and no rule touches a positive one.
func TestRules(t *testing.T) {
	const def = 7
	tests := []struct{ in, positive, unset, offBelowZero int }{
		{0, def, def, def},
		{-1, def, -1, 0},
		{-100, def, -100, 0},
		{1, 1, 1, 1},
		{50, 50, 50, 50},
	}
	for _, tt := range tests {
		p, u, o := tt.in, tt.in, tt.in
		Positive(&p, def)
		Unset(&u, def)
		OffBelowZero(&o, def)
		if p != tt.positive || u != tt.unset || o != tt.offBelowZero {
			t.Errorf("%d: Positive %d, Unset %d, OffBelowZero %d; want %d, %d, %d",
				tt.in, p, u, o, tt.positive, tt.unset, tt.offBelowZero)
		}
	}
}

// TestTypes: the rules serve durations, floats, strings and pointers.
func TestTypes(t *testing.T) {
	d := -time.Second
	Positive(&d, time.Minute)
	if d != time.Minute {
		t.Errorf("Positive(-1s) = %v, want 1m", d)
	}
	f := -0.5
	OffBelowZero(&f, 0.25)
	if f != 0 {
		t.Errorf("OffBelowZero(-0.5) = %v, want 0", f)
	}
	mine := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		s, wantS string
		l, wantL *slog.Logger
	}{
		{"", "default", nil, Discard},
		{"mine", "mine", mine, mine},
	} {
		s, l := tt.s, tt.l
		Unset(&s, "default")
		Unset(&l, Discard)
		if s != tt.wantS || l != tt.wantL {
			t.Errorf("Unset(%q, %p) = %q, %p; want %q, %p", tt.s, tt.l, s, l, tt.wantS, tt.wantL)
		}
	}
}

func TestDiscard(t *testing.T) {
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		if Discard.Enabled(context.Background(), l) {
			t.Errorf("Discard is enabled at %v", l)
		}
	}
}
