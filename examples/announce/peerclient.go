package main

import (
	"strconv"
	"strings"

	"github.com/trackerkit/trackerkit/peer"
)

// azureusClients names the clients of Azureus-style peer IDs
// ("-" + two characters + four version characters + "-"), the convention
// nearly every client uses today. The list is the clients a WebTorrent or
// BitTorrent swarm commonly shows; others are shown by their code.
var azureusClients = map[string]string{
	"AG": "Ares", "AZ": "Vuze", "BB": "BitBuddy", "BC": "BitComet", "BI": "BiglyBT",
	"BT": "BitTorrent", "BW": "BitTorrent Web", "DE": "Deluge", "DM": "trackerkit demo",
	"FD": "Free Download Manager", "FW": "FrostWire", "KT": "KTorrent", "LT": "libtorrent",
	"lt": "libTorrent (rakshasa)", "MG": "MediaGet", "PI": "PicoTorrent", "qB": "qBittorrent",
	"SD": "Thunder", "TK": "trackerkit", "TL": "Tribler", "TR": "Transmission", "TX": "Tixati",
	"UM": "µTorrent Mac", "UT": "µTorrent", "UW": "µTorrent Web", "WD": "WebTorrent Desktop",
	"WW": "WebTorrent", "XL": "Xunlei", "ZO": "Zona",
}

// peerClient decodes the client from an Azureus-style peer ID prefix:
// "-TR4050-" is "Transmission 4.0.5", "-qB4630-" "qBittorrent 4.6.3",
// "-WW0300-" "WebTorrent 3.0". It returns "" when the ID does not follow the
// convention (or is all zeros: the tracker sent none). An unknown code is
// shown as itself ("-ZZ1234-" is "ZZ 1.2.3.4"), so a user can still look it up.
//
// Versions: WebTorrent writes two digits per component ("0300" is 3.0), as
// its source does; every other client one character per component, a
// letter standing for 10 and up ("A" = 10) except a final letter, which is
// a build tag kept as written ("-UT355W-" is "µTorrent 3.5.5 W"). Trailing
// ".0" components are dropped down to two.
func peerClient(id peer.ID) string {
	if id.IsZero() || id[0] != '-' || id[7] != '-' {
		return ""
	}
	code, ver := string(id[1:3]), string(id[3:7])
	for _, c := range code + ver {
		if !isAlnum(c) {
			return ""
		}
	}
	name := azureusClients[code]
	if name == "" {
		name = code
	}
	if v := azureusVersion(code, ver); v != "" {
		return name + " " + v
	}
	return name
}

func isAlnum(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// azureusVersion decodes the four version characters of an Azureus-style ID.
func azureusVersion(code, v string) string {
	if code == "WW" || code == "WD" {
		if !allDigits(v) {
			return ""
		}
		return strings.TrimLeft(v[:2], "0") + orZero(v[:2]) + "." + strings.TrimLeft(v[2:], "0") + orZero(v[2:])
	}
	var parts []string
	tag := ""
	if c := v[3]; !(c >= '0' && c <= '9') {
		tag, v = string(c), v[:3]
	}
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			parts = append(parts, string(c))
		case c >= 'A' && c <= 'Z':
			parts = append(parts, strconv.Itoa(int(c-'A')+10))
		default:
			return ""
		}
	}
	for len(parts) > 2 && parts[len(parts)-1] == "0" {
		parts = parts[:len(parts)-1]
	}
	s := strings.Join(parts, ".")
	if tag != "" {
		s += " " + tag
	}
	return s
}

// orZero is "0" when s is all zeros (TrimLeft left nothing), else "".
func orZero(s string) string {
	if strings.Trim(s, "0") == "" {
		return "0"
	}
	return ""
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
