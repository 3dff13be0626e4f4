package http

import "testing"

// TestFrame follows replies fed in every split: exactly the reply's bytes
// are kept, whatever the chunking.
func TestFrame(t *testing.T) {
	tests := []struct {
		name, in string
		keep     int // -1: all (framing unknown)
	}{
		{"content-length plus extra", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA", len("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")},
		{"exact", "HTTP/1.1 200 OK\r\ncontent-length:  3 \r\n\r\nabc", -1},
		{"204 plus extra", "HTTP/1.1 204 No Content\r\n\r\nX", len("HTTP/1.1 204 No Content\r\n\r\n")},
		{"chunked passes", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nEXTRA", -1},
		{"no length passes", "HTTP/1.1 200 OK\r\n\r\nabcdef", -1},
		{"1xx passes", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", -1},
		{"two lengths disagree", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcdEXTRA", -1},
		{"not HTTP", "SSH-2.0\r\n\r\nxyz", -1},
	}
	for _, tt := range tests {
		want := tt.keep
		if want < 0 {
			want = len(tt.in)
		}
		for step := 1; step <= len(tt.in); step++ {
			c := &framedConn{started: true}
			kept := 0
			for i := 0; i < len(tt.in); i += step {
				chunk := []byte(tt.in[i:min(i+step, len(tt.in))])
				k := c.frame(chunk)
				kept += k
				if k < len(chunk) {
					break
				}
			}
			if kept != want {
				t.Errorf("%s, step %d: kept %d bytes, want %d", tt.name, step, kept, want)
				break
			}
		}
	}
}

// FuzzFrame: whatever a tracker sends, framing never panics, keeps at most
// what it was given, and keeps the same bytes however they are split into
// reads.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA",
		"HTTP/1.1 204 No Content\r\n\r\nX",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n",
		"HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nx",
		"",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		whole := (&framedConn{started: true}).frame(b)
		if whole < 0 || whole > len(b) {
			t.Fatalf("kept %d of %d", whole, len(b))
		}
		n := int(step%16) + 1
		c := &framedConn{started: true}
		kept := 0
		for i := 0; i < len(b); i += n {
			chunk := b[i:min(i+n, len(b))]
			k := c.frame(chunk)
			kept += k
			if k < len(chunk) {
				break
			}
		}
		if kept != whole {
			t.Fatalf("kept %d in steps of %d, %d whole", kept, n, whole)
		}
	})
}
