package bencode

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode: whatever the input, Decode never panics and its errors are
// *SyntaxError; input accepted in Strict mode re-encodes to itself byte for
// byte; input accepted lenient can be walked entirely, and every view lies
// inside the input. Seeds: below and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"i0e", "i-12e", "4:spam", "le", "de", "d1:ai1e1:bl1:cee", "d1:bi1e1:ai2ee",
		"i03e", "d1:ai1e1:ai1ee", "llllee", "5:ab", "d5:peers-1:e", "d5:peers300000000:xe",
		"i99999999999999999999e", "d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e\n",
		"d4:infod6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, o := range []Options{{Strict: true}, {TrailingSpace: true}} {
			v, err := Decode(b, o)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(b) {
					t.Fatalf("bad error %v", err)
				}
				continue
			}
			if o.Strict {
				if got := reencode(v); !bytes.Equal(got, b) {
					t.Fatalf("re-encoded %q as %q", b, got)
				}
			}
			walk(t, b, v)
		}
	})
}

// walk visits every value and checks each view is a span of b.
func walk(t *testing.T, b []byte, v Value) {
	raw := v.Raw()
	if v.Offset() < 0 || v.Offset()+len(raw) > len(b) || !bytes.Equal(b[v.Offset():v.Offset()+len(raw)], raw) {
		t.Fatalf("view outside the input")
	}
	switch v.Kind() {
	case Dict:
		for _, val := range v.Entries() {
			walk(t, b, val)
		}
	case List:
		for item := range v.Items() {
			walk(t, b, item)
		}
	case Int:
		v.IntSaturated()
	case String:
		if s, ok := v.Bytes(); !ok || len(s) > len(raw) {
			t.Fatal("string view")
		}
	default:
		t.Fatal("invalid kind inside accepted input")
	}
}
