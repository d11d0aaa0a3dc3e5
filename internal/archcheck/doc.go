// Package archcheck holds the tests that keep the architecture as the README describes it:
// which package may import what (the client never pulls in the contract engine, a validator,
// YAML, Ginkgo or the progress bar), that every package says what it is for, and that
// hand-written functions and files stay small.
package archcheck
