package peer

import "testing"

func BenchmarkDecodeCompactIPv4_200(b *testing.B) {
	buf := make([]byte, 200*CompactIPv4Size)
	for i := range 200 {
		buf[i*6], buf[i*6+5] = byte(i), 1
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeCompactIPv4(nil, buf); err != nil {
			b.Fatal(err)
		}
	}
}
