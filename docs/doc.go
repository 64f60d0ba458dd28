// Package docs holds lambdabridge's documentation beyond the README (markdown files in this
// directory) and the test that keeps all of it true to the code: docs_test.go runs every
// command block marked local (```sh local) in README.md, docs/*.md and infra/README.md and
// compares its output with the block after it, and checks every other command's flags
// against the command's -h and every stack key against Pulumi.yaml. The conventions are in
// docs/README.md; the checker is internal/docstest.
package docs
