// Package testenv is what trackerkit's tests and benchmarks share about
// the machine they run on: the go command and the root of this module, for
// tests that build; the process's CPU time, for benchmarks that report it;
// and a UDP responder on loopback (ServeUDP), for tests that need a bare
// datagram server. It is imported by tests only.
package testenv
