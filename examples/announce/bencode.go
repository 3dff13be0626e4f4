package main

import (
	"bytes"
	"fmt"
	"iter"
	"math"
)

// This file is a small bencode reader made for one job: finding the exact
// bytes of a torrent's info dictionary, whose SHA-1 is the info hash.
// Decoding into Go values and encoding again (what bencode-go offers) would
// change the bytes of any torrent that is not perfectly canonical, and so
// the hash. Here nothing is copied: the input is validated once, then read
// through views (bval) that are spans of it, so memory stays O(1) whatever
// the file holds.

// maxBencodeDepth bounds nesting so that hostile input cannot exhaust the
// stack. Torrents nest a handful of levels (v2 file trees one per directory).
const maxBencodeDepth = 100

// SyntaxError is input that is not valid bencode.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	What   string // what is wrong there
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid bencode at byte %d: %s", e.Offset, e.What)
}

// validateBencode checks that b is exactly one well-formed bencoded value:
// integers in canonical form (no leading zeros, no "-0") that fit 64 bits,
// string lengths that fit the input, dictionaries with string keys and no
// duplicate key, nesting at most maxBencodeDepth deep, nothing after the end.
// Dictionary keys out of order are accepted: BEP 3 asks for sorted keys, but
// torrents with unsorted ones exist and every mainstream client reads them,
// and the info hash covers the raw bytes anyway.
func validateBencode(b []byte) error {
	end, err := skipValue(b, 0, 0)
	if err != nil {
		return err
	}
	if end != len(b) {
		return &SyntaxError{Offset: end, What: "data after the end of the top-level value"}
	}
	return nil
}

// skipValue validates the value starting at b[i] and returns its end.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, &SyntaxError{Offset: i, What: "unexpected end of input"}
	}
	switch c := b[i]; {
	case c == 'i':
		_, end, err := parseBInt(b, i)
		return end, err
	case c >= '0' && c <= '9':
		_, _, end, err := parseBString(b, i)
		return end, err
	case c == 'l':
		if depth >= maxBencodeDepth {
			return i, &SyntaxError{Offset: i, What: "nested too deep"}
		}
		for j := i + 1; ; {
			if j >= len(b) {
				return j, &SyntaxError{Offset: j, What: "unexpected end of input in a list"}
			}
			if b[j] == 'e' {
				return j + 1, nil
			}
			end, err := skipValue(b, j, depth+1)
			if err != nil {
				return end, err
			}
			j = end
		}
	case c == 'd':
		if depth >= maxBencodeDepth {
			return i, &SyntaxError{Offset: i, What: "nested too deep"}
		}
		return skipDict(b, i, depth)
	default:
		return i, &SyntaxError{Offset: i, What: fmt.Sprintf("unexpected byte %q", c)}
	}
}

func skipDict(b []byte, i, depth int) (int, error) {
	var prev []byte
	var seen map[string]struct{} // built only once keys are found out of order
	for j := i + 1; ; {
		if j >= len(b) {
			return j, &SyntaxError{Offset: j, What: "unexpected end of input in a dictionary"}
		}
		if b[j] == 'e' {
			return j + 1, nil
		}
		if b[j] < '0' || b[j] > '9' {
			return j, &SyntaxError{Offset: j, What: "dictionary key is not a string"}
		}
		key, _, end, err := parseBString(b, j)
		if err != nil {
			return end, err
		}
		switch {
		case seen != nil:
			if _, dup := seen[string(key)]; dup {
				return j, &SyntaxError{Offset: j, What: fmt.Sprintf("duplicate dictionary key %q", key)}
			}
			seen[string(key)] = struct{}{}
		case prev == nil || bytes.Compare(prev, key) < 0:
			// Sorted so far: order alone proves there is no duplicate.
		case bytes.Equal(prev, key):
			return j, &SyntaxError{Offset: j, What: fmt.Sprintf("duplicate dictionary key %q", key)}
		default:
			// Out of order: from here on, remember every key. Those before
			// were in order, so they hold no duplicate among themselves.
			seen = make(map[string]struct{})
			for k := i + 1; k < j; {
				pk, _, valStart, _ := parseBString(b, k)
				seen[string(pk)] = struct{}{}
				k = bval{b, valStart}.end()
			}
			if _, dup := seen[string(key)]; dup {
				return j, &SyntaxError{Offset: j, What: fmt.Sprintf("duplicate dictionary key %q", key)}
			}
			seen[string(key)] = struct{}{}
		}
		prev = key
		if end >= len(b) {
			return end, &SyntaxError{Offset: end, What: fmt.Sprintf("dictionary key %q has no value", key)}
		}
		if b[end] == 'e' {
			return end, &SyntaxError{Offset: end, What: fmt.Sprintf("dictionary key %q has no value", key)}
		}
		end, err = skipValue(b, end, depth+1)
		if err != nil {
			return end, err
		}
		j = end
	}
}

// parseBInt reads "i<decimal>e" at b[i].
func parseBInt(b []byte, i int) (n int64, end int, err error) {
	j := i + 1
	start := j
	if j < len(b) && b[j] == '-' {
		j++
	}
	digits := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	switch {
	case j >= len(b):
		return 0, j, &SyntaxError{Offset: j, What: "unexpected end of input in an integer"}
	case b[j] != 'e':
		return 0, j, &SyntaxError{Offset: j, What: fmt.Sprintf("unexpected byte %q in an integer", b[j])}
	case j == digits:
		return 0, j, &SyntaxError{Offset: i, What: "integer without digits"}
	case b[digits] == '0' && j-digits > 1:
		return 0, j, &SyntaxError{Offset: i, What: "integer with a leading zero"}
	case b[digits] == '0' && digits > start:
		return 0, j, &SyntaxError{Offset: i, What: "negative zero"}
	}
	// Accumulate as a negative number: its range includes math.MinInt64.
	var neg int64
	for _, c := range b[digits:j] {
		d := int64(c - '0')
		if neg < (math.MinInt64+d)/10 {
			return 0, j, &SyntaxError{Offset: i, What: "integer does not fit 64 bits"}
		}
		neg = neg*10 - d
	}
	if digits == start { // positive
		if neg == math.MinInt64 {
			return 0, j, &SyntaxError{Offset: i, What: "integer does not fit 64 bits"}
		}
		return -neg, j + 1, nil
	}
	return neg, j + 1, nil
}

// parseBString reads "<length>:<bytes>" at b[i]; s aliases b.
func parseBString(b []byte, i int) (s []byte, dataStart, end int, err error) {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
		if j-i > 18 { // more than any input we could hold
			return nil, 0, j, &SyntaxError{Offset: i, What: "string length too large"}
		}
	}
	switch {
	case j >= len(b):
		return nil, 0, j, &SyntaxError{Offset: j, What: "unexpected end of input in a string length"}
	case b[j] != ':':
		return nil, 0, j, &SyntaxError{Offset: j, What: fmt.Sprintf("unexpected byte %q in a string length", b[j])}
	case b[i] == '0' && j-i > 1:
		return nil, 0, j, &SyntaxError{Offset: i, What: "string length with a leading zero"}
	}
	var n int64 // at most 18 digits: no overflow
	for _, c := range b[i:j] {
		n = n*10 + int64(c-'0')
	}
	dataStart = j + 1
	if n > int64(len(b)-dataStart) {
		return nil, 0, len(b), &SyntaxError{Offset: i, What: fmt.Sprintf("string of %d bytes runs past the end of input", n)}
	}
	end = dataStart + int(n)
	return b[dataStart:end], dataStart, end, nil
}

// bval is a view of one value inside input that validateBencode accepted;
// its methods rely on that and never fail on syntax, only on type.
type bval struct {
	b     []byte
	start int
}

// end returns the offset just after the value.
func (v bval) end() int {
	end, _ := skipValue(v.b, v.start, 0)
	return end
}

// raw returns the value's exact encoding.
func (v bval) raw() []byte { return v.b[v.start:v.end()] }

func (v bval) isDict() bool { return v.b[v.start] == 'd' }
func (v bval) isList() bool { return v.b[v.start] == 'l' }

func (v bval) int() (int64, bool) {
	if v.b[v.start] != 'i' {
		return 0, false
	}
	n, _, _ := parseBInt(v.b, v.start)
	return n, true
}

// intOK is int for a value that may be absent (the zero bval).
func (v bval) intOK() (int64, bool) {
	if v.b == nil {
		return 0, false
	}
	return v.int()
}

func (v bval) str() ([]byte, bool) {
	if c := v.b[v.start]; c < '0' || c > '9' {
		return nil, false
	}
	s, _, _, _ := parseBString(v.b, v.start)
	return s, true
}

// items iterates over a list's values (nothing if v is not a list).
func (v bval) items() iter.Seq[bval] {
	return func(yield func(bval) bool) {
		if !v.isList() {
			return
		}
		for j := v.start + 1; v.b[j] != 'e'; {
			item := bval{v.b, j}
			if !yield(item) {
				return
			}
			j = item.end()
		}
	}
}

// entries iterates over a dictionary's keys and values in input order
// (nothing if v is not a dictionary).
func (v bval) entries() iter.Seq2[[]byte, bval] {
	return func(yield func([]byte, bval) bool) {
		if !v.isDict() {
			return
		}
		for j := v.start + 1; v.b[j] != 'e'; {
			key, _, valStart, _ := parseBString(v.b, j)
			val := bval{v.b, valStart}
			if !yield(key, val) {
				return
			}
			j = val.end()
		}
	}
}

// fields returns the values of the given keys of a dictionary, in one pass
// (get scans the dictionary each time; a torrent's info dictionary holds
// megabytes of piece hashes and file lists to skip).
func (v bval) fields(keys ...string) map[string]bval {
	m := make(map[string]bval, len(keys))
	for k, val := range v.entries() {
		for _, want := range keys {
			if string(k) == want {
				m[want] = val
				break
			}
		}
	}
	return m
}

// get returns the value of key in a dictionary.
func (v bval) get(key string) (bval, bool) {
	for k, val := range v.entries() {
		if string(k) == key {
			return val, true
		}
	}
	return bval{}, false
}
