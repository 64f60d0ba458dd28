// Package lambdas holds the Lambda functions' main packages, one directory per function role
// (lambdas/fetcher, lambdas/writer, lambdas/relay), each built into its `bootstrap` binary,
// and says which is which: infra builds the one of each role it deploys, the local pipeline
// the ones it runs.
package lambdas

import (
	"fmt"

	"github.com/lambdabridge/lambdabridge/planner"
)

// The bootstrap main packages, relative to the module root.
const (
	Fetcher = "./lambdas/fetcher"
	Writer  = "./lambdas/writer"
	Relay   = "./lambdas/relay"
)

// Package returns the main package of the function of role r.
func Package(r planner.Role) (string, error) {
	switch r {
	case planner.Fetcher:
		return Fetcher, nil
	case planner.Writer:
		return Writer, nil
	case planner.Relay:
		return Relay, nil
	}
	return "", fmt.Errorf("no main package for function role %q", r)
}
