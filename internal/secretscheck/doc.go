// Package secretscheck holds the test that drives every output path of the toolkit with
// planted secrets and asserts that none of them leaks into any byte written.
package secretscheck
