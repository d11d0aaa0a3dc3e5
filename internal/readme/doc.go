// Package readme checks that the Go sample in README.md compiles against the current code;
// it holds only that test.
package readme
