package main

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateBencode(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // substring of the error; "" for valid
	}{
		{"i0e", ""},
		{"i-42e", ""},
		{"i9223372036854775807e", ""},
		{"i-9223372036854775808e", ""},
		{"0:", ""},
		{"4:spam", ""},
		{"le", ""},
		{"de", ""},
		{"l4:spami42ee", ""},
		{"d3:bar4:spam3:fooi42ee", ""},
		{"d1:bi1e1:ai2ee", ""}, // unsorted keys are accepted
		{"d1:ad1:bl1:ceee", ""},
		{"", "unexpected end of input"},
		{"i", "unexpected end of input in an integer"},
		{"ie", "integer without digits"},
		{"i-e", "integer without digits"},
		{"i03e", "leading zero"},
		{"i-0e", "negative zero"},
		{"i1.5e", `unexpected byte '.'`},
		{"i9223372036854775808e", "does not fit 64 bits"},
		{"i-9223372036854775809e", "does not fit 64 bits"},
		{"i99999999999999999999999e", "does not fit 64 bits"},
		{"01:a", "leading zero"},
		{"5:abc", "runs past the end"},
		{"99999999999999999999:a", "string length too large"},
		{"4spam", `unexpected byte 's' in a string length`},
		{"l", "unexpected end of input in a list"},
		{"li1e", "unexpected end of input in a list"},
		{"d", "unexpected end of input in a dictionary"},
		{"di1ei2ee", "key is not a string"},
		{"d1:ae", `key "a" has no value`},
		{"d1:a", `key "a" has no value`},
		{"d1:ai1e1:ai2ee", `duplicate dictionary key "a"`},
		{"d1:ai1e1:ci2e1:bi3e1:ai4ee", `duplicate dictionary key "a"`}, // out of order, then a duplicate
		{"d1:ci1e1:bi2e1:ci3ee", `duplicate dictionary key "c"`},
		{"i1ei2e", "data after the end"},
		{"4:spamx", "data after the end"},
		{"x", `unexpected byte 'x'`},
		{strings.Repeat("l", maxBencodeDepth+1) + strings.Repeat("e", maxBencodeDepth+1), "nested too deep"},
		{strings.Repeat("l", maxBencodeDepth) + strings.Repeat("e", maxBencodeDepth), ""},
	}
	for _, tt := range tests {
		err := validateBencode([]byte(tt.in))
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%.40q: %v", tt.in, err)
			} else if got := reencode(bval{[]byte(tt.in), 0}); string(got) != tt.in {
				t.Errorf("%.40q: re-encoded as %q", tt.in, got)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%.40q: err = %v, want a *SyntaxError with %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestBvalAccessors(t *testing.T) {
	in := []byte("d4:listl1:ai7ee3:numi-3e3:str5:hello3:subd1:xi1eee")
	if err := validateBencode(in); err != nil {
		t.Fatal(err)
	}
	top := bval{in, 0}
	if n, ok := must(t, top, "num").int(); !ok || n != -3 {
		t.Errorf("num = %d, %v", n, ok)
	}
	if s, ok := must(t, top, "str").str(); !ok || string(s) != "hello" {
		t.Errorf("str = %q, %v", s, ok)
	}
	if _, ok := must(t, top, "str").int(); ok {
		t.Error("str read as int")
	}
	if _, ok := must(t, top, "num").str(); ok {
		t.Error("num read as string")
	}
	var items []string
	for it := range must(t, top, "list").items() {
		items = append(items, string(it.raw()))
	}
	if strings.Join(items, ",") != "1:a,i7e" {
		t.Errorf("items = %v", items)
	}
	if got := string(must(t, top, "sub").raw()); got != "d1:xi1ee" {
		t.Errorf("sub raw = %q", got)
	}
	if _, ok := top.get("missing"); ok {
		t.Error("missing key found")
	}
	for range must(t, top, "num").items() {
		t.Error("an int has items")
	}
	for range must(t, top, "list").entries() {
		t.Error("a list has entries")
	}
}

func must(t *testing.T, d bval, key string) bval {
	t.Helper()
	v, ok := d.get(key)
	if !ok {
		t.Fatalf("key %q missing", key)
	}
	return v
}
