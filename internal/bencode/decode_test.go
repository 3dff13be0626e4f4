package bencode

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// reencode writes a Value again from its parts, in input order: for input
// that Decode accepts in Strict mode the result must be the input byte for
// byte (the property an info hash relies on: views are exact spans).
func reencode(v Value) []byte {
	var b []byte
	switch v.Kind() {
	case Dict:
		b = append(b, 'd')
		for k, val := range v.Entries() {
			b = append(strconv.AppendInt(b, int64(len(k)), 10), ':')
			b = append(b, k...)
			b = append(b, reencode(val)...)
		}
		return append(b, 'e')
	case List:
		b = append(b, 'l')
		for item := range v.Items() {
			b = append(b, reencode(item)...)
		}
		return append(b, 'e')
	case Int:
		n, _ := v.Int()
		return append(strconv.AppendInt(append(b, 'i'), n, 10), 'e')
	case String:
		s, _ := v.Bytes()
		b = append(strconv.AppendInt(b, int64(len(s)), 10), ':')
		return append(b, s...)
	}
	return nil
}

func TestDecode(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("l", n) + strings.Repeat("e", n) }
	tests := []struct {
		in             string
		o              Options
		wantErr        string // "" accepted
		lenientAccepts bool   // the same input is fine without Strict
	}{
		{"i0e", Options{Strict: true}, "", true},
		{"i-12e", Options{Strict: true}, "", true},
		{"i9223372036854775807e", Options{Strict: true}, "", true},
		{"i-9223372036854775808e", Options{Strict: true}, "", true},
		{"i9223372036854775808e", Options{Strict: true}, "does not fit 64 bits", true},
		{"i-9223372036854775809e", Options{Strict: true}, "does not fit 64 bits", true},
		{"i1.5e", Options{Strict: true}, "unexpected byte '.'", false},
		{"d1:ai1e1:ci2e1:bi3e1:ai4ee", Options{Strict: true}, `duplicate dictionary key "a"`, true}, // out of order, then a duplicate
		{"d1:ci1e1:bi2e1:ci3ee", Options{Strict: true}, `duplicate dictionary key "c"`, true},
		{"i03e", Options{Strict: true}, "leading zero", true},
		{"i-0e", Options{Strict: true}, "negative zero", true},
		{"ie", Options{Strict: true}, "without digits", false},
		{"i-e", Options{Strict: true}, "without digits", false},
		{"i1", Options{Strict: true}, "end of input in an integer", false},
		{"i1x", Options{Strict: true}, "in an integer", false},
		{"4:spam", Options{Strict: true}, "", true},
		{"0:", Options{Strict: true}, "", true},
		{"04:spam", Options{Strict: true}, "leading zero", true},
		{"5:spam", Options{Strict: true}, "runs past the end", false},
		{"4611686018427387904:a", Options{Strict: true}, "runs past the end", false},
		{"99999999999999999999999999:a", Options{Strict: true}, "runs past the end", false},
		{"4spam", Options{Strict: true}, "in a string length", false},
		{"le", Options{Strict: true}, "", true},
		{"de", Options{Strict: true}, "", true},
		{"d1:ai1e1:bl1:cee", Options{Strict: true}, "", true},
		{"d1:bi1e1:ai2ee", Options{Strict: true}, "", true}, // unsorted keys are read
		{"d1:ai1e1:ai1ee", Options{Strict: true}, "duplicate dictionary key", true},
		{"d1:bi1e1:ai2e1:bi3ee", Options{Strict: true}, "duplicate dictionary key", true},
		{"di1ei2ee", Options{Strict: true}, "key is not a string", false},
		{"d1:ae", Options{Strict: true}, "has no value", false},
		{"d1:a", Options{Strict: true}, "has no value", false},
		{"l", Options{Strict: true}, "end of input in a list", false},
		{"d", Options{Strict: true}, "end of input in a dictionary", false},
		{"", Options{Strict: true}, "unexpected end of input", false},
		{"x", Options{Strict: true}, "unexpected byte", false},
		{"lee", Options{Strict: true}, "data after the end", false},
		{"de\n", Options{Strict: true}, "data after the end", false},
		{"de\r\n ", Options{TrailingSpace: true}, "", true},
		{"dex", Options{TrailingSpace: true}, "data after the end", false},
		{deep(DefaultMaxDepth), Options{Strict: true}, "", true},
		{deep(DefaultMaxDepth + 1), Options{Strict: true}, "nested too deep", false},
		{deep(100000), Options{}, "nested too deep", false},
		{deep(3), Options{MaxDepth: 2}, "nested too deep", false},
	}
	for _, tt := range tests {
		v, err := Decode([]byte(tt.in), tt.o)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%.40q: %v", tt.in, err)
			} else if got := reencode(v); !tt.o.TrailingSpace && string(got) != tt.in {
				t.Errorf("%.40q: re-encoded as %q", tt.in, got)
			}
		} else {
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%.40q: err = %v, want a *SyntaxError with %q", tt.in, err, tt.wantErr)
			}
		}
		lenient := tt.o
		lenient.Strict = false
		if _, err := Decode([]byte(tt.in), lenient); (err == nil) != tt.lenientAccepts {
			t.Errorf("%.40q lenient: err = %v, want accepted %v", tt.in, err, tt.lenientAccepts)
		}
	}
}

func TestDepthError(t *testing.T) {
	_, err := Decode([]byte(strings.Repeat("d1:a", 100)), Options{})
	if !errors.Is(err, ErrDepth) {
		t.Fatalf("err = %v, want ErrDepth", err)
	}
	if _, err := Decode([]byte("x"), Options{}); errors.Is(err, ErrDepth) {
		t.Fatal("a plain syntax error matches ErrDepth")
	}
}

func TestValueViews(t *testing.T) {
	in := []byte("d8:announce3:url4:infod6:lengthi5e4:name1:ae5:peersld2:ip1:x4:porti1eee1:ni99999999999999999999ee")
	top, err := Decode(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if top.Kind() != Dict || top.Len() != 4 {
		t.Fatalf("kind %v len %d", top.Kind(), top.Len())
	}
	info := top.Get("info")
	if got := string(info.Raw()); got != "d6:lengthi5e4:name1:ae" {
		t.Errorf("info raw = %q", got)
	}
	if info.Offset() != bytes.Index(in, []byte("d6:length")) {
		t.Errorf("info offset %d", info.Offset())
	}
	if n, ok := info.Get("length").Int(); !ok || n != 5 {
		t.Errorf("length = %d %v", n, ok)
	}
	if s, ok := top.Get("announce").Bytes(); !ok || string(s) != "url" {
		t.Errorf("announce = %q %v", s, ok)
	}
	if _, ok := top.Get("announce").Int(); ok {
		t.Error("a string read as an integer")
	}
	if _, ok := top.Get("info").Bytes(); ok {
		t.Error("a dictionary read as a string")
	}
	missing := top.Get("missing")
	if missing.Kind() != Invalid || missing.Len() != 0 {
		t.Error("absent key is not the zero Value")
	}
	if _, ok := missing.Int(); ok {
		t.Error("absent key read as an integer")
	}
	if _, ok := missing.Bytes(); ok {
		t.Error("absent key read as a string")
	}
	for range missing.Items() {
		t.Error("absent key iterated")
	}
	n, isInt, fits := top.Get("n").IntSaturated()
	if n != math.MaxInt64 || !isInt || fits {
		t.Errorf("saturated = %d %v %v", n, isInt, fits)
	}
	if _, ok := top.Get("n").Int(); ok {
		t.Error("an integer beyond int64 reported as fitting")
	}
	peers := top.Get("peers")
	if peers.Kind() != List || peers.Len() != 1 {
		t.Fatalf("peers kind %v len %d", peers.Kind(), peers.Len())
	}
	for p := range peers.Items() {
		if ip, _ := p.Get("ip").Bytes(); string(ip) != "x" {
			t.Errorf("ip = %q", ip)
		}
	}
	for range top.Items() {
		t.Error("a dictionary iterated as a list")
	}
	for range peers.Entries() {
		t.Error("a list iterated as a dictionary")
	}
}

func TestNegativeSaturation(t *testing.T) {
	v, err := Decode([]byte("i-99999999999999999999e"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, fits := v.IntSaturated(); n != math.MinInt64 || fits {
		t.Errorf("got %d fits %v", n, fits)
	}
}

func TestDuplicateKeysLenient(t *testing.T) {
	v, err := Decode([]byte("d1:ai1e1:ai2ee"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := v.Get("a").Int(); n != 2 {
		t.Errorf("Get kept %d, want the last value 2", n)
	}
}

// TestNoAllocationFromLength: a 20-byte input declaring a string of
// 300 MB (what bencode-go v1.0.2 allocates 572 MB for) costs nothing.
func TestNoAllocationFromLength(t *testing.T) {
	in := []byte("d5:peers300000000:xe")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Decode(in, Options{}); err == nil {
			t.Fatal("accepted")
		}
	})
	if allocs > 1 { // the *SyntaxError
		t.Errorf("%v allocations", allocs)
	}
	if _, err := Decode([]byte("d5:peers-1:e"), Options{}); err == nil {
		t.Error("negative length accepted")
	}
}
