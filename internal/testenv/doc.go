// Package testenv is what trackerkit's tests and benchmarks share about
// the machine they run on: the go command and the root of this module, for
// tests that build, and the process's CPU time, for benchmarks that report
// it. It is imported by tests only.
package testenv
