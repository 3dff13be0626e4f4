package transport

import (
	"context"
	"net/netip"
	"net/url"
)

// Family is an IP address family a request may be restricted to. Dual-stack
// announces send one announce per family, each forced to it, so that the
// tracker lists us for peers of both families.
type Family uint8

const (
	FamilyAny  Family = iota // no restriction: any address, with fallback between families
	FamilyIPv4               // IPv4 addresses only
	FamilyIPv6               // IPv6 addresses only
)

// String returns "", "ipv4" or "ipv6".
func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "ipv4"
	case FamilyIPv6:
		return "ipv6"
	}
	return ""
}

// Match reports whether a is of family f (always, for FamilyAny).
func (f Family) Match(a netip.Addr) bool {
	switch f {
	case FamilyIPv4:
		return a.Unmap().Is4()
	case FamilyIPv6:
		return a.IsValid() && !a.Unmap().Is4()
	}
	return true
}

// FamilyOf returns the family of a.
func FamilyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}

// Families is implemented by transports that can force a request to one
// address family (AnnounceRequest.Family). Families returns the families
// this host can use to reach the tracker at u: those its hostname resolves
// to, that have a route from here (and from the bound local address), in
// the order the resolver listed them. It returns one FamilyAny when the
// family is not the transport's to choose (a proxy resolves the name).
// Dual-stack announcing uses it: each family returned gets its own
// announces.
type Families interface {
	Families(ctx context.Context, u *url.URL) ([]Family, error)
}
