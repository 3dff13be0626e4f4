package main

import (
	"testing"

	"github.com/trackerkit/trackerkit/peer"
)

func TestPeerClient(t *testing.T) {
	for _, tt := range []struct{ id, want string }{
		{"-WW0300-abcdefghijkl", "WebTorrent 3.0"},
		{"-WW0201-abcdefghijkl", "WebTorrent 2.1"},
		{"-WD0007-abcdefghijkl", "WebTorrent Desktop 0.7"},
		{"-TR4050-abcdefghijkl", "Transmission 4.0.5"},
		{"-TR2940-abcdefghijkl", "Transmission 2.9.4"},
		{"-qB4630-abcdefghijkl", "qBittorrent 4.6.3"},
		{"-LT2080-abcdefghijkl", "libtorrent 2.0.8"},
		{"-lt0D80-abcdefghijkl", "libTorrent (rakshasa) 0.13.8"},
		{"-UT355W-abcdefghijkl", "µTorrent 3.5.5 W"},
		{"-DE2110-abcdefghijkl", "Deluge 2.1.1"},
		{"-TK0001-abcdefghijkl", "trackerkit 0.0.0.1"},
		{"-BI3300-abcdefghijkl", "BiglyBT 3.3"},
		{"-ZZ1234-abcdefghijkl", "ZZ 1.2.3.4"}, // unknown: its code
		{"-WWabcd-abcdefghijkl", "WebTorrent"}, // version unreadable: the name
		{"M7-10-3--abcdefghijk", ""},           // Mainline style: not Azureus
		{"-TR40\x00-abcdefghijkl", ""},
		{"--TR4050abcdefghijkl", ""},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", ""},
	} {
		var id peer.ID
		copy(id[:], tt.id)
		if got := peerClient(id); got != tt.want {
			t.Errorf("peerClient(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
