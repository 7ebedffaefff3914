// Package release holds the checks of what a release is made from: the
// goreleaser configuration (.goreleaser.yaml), the container image
// definition (Dockerfile) and the examples that download or run them. It has
// no code of its own; see release_test.go and docs/release.md.
package release
