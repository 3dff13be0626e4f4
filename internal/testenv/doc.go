// Package testenv is what trackerkit's tests that run the go command
// share: finding the go command and the root of this module. It is
// imported by tests only.
package testenv
