// Package docstest runs the documentation: the shell blocks of README.md and
// docs/*.md marked runnable, against a dev cluster, so the docs cannot drift
// from the program. It has no code of its own; see docs_test.go.
//
// Markers, HTML comments on the line before a fenced block (invisible when
// the Markdown is rendered):
//
//	<!-- docs-test: run -->         run this sh block
//	<!-- docs-test: file NAME -->   write this block to NAME first (an
//	                                inventory a later block uses)
package docstest
