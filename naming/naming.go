// Package naming is the one place the physical names of a stack's resources are made:
// infra names the functions (and everything else "<prefix>-...") with it, and whatever
// looks them up afterwards (cmd/plan --from-metrics, cmd/local's metrics) finds them with
// the same code. It imports only the planner's roles, so a command can name a stack's
// functions without pulling in the Pulumi SDK.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/lambdabridge/lambdabridge/planner"
)

// The physical names the program sets are all "<prefix>-<something>": functions
// (<prefix>-fetcher), their log groups, the dead-letter queue (<prefix>-dlq), the alarm topic,
// the alarms, the budget and the database's final snapshot. Pulumi allows stack names of up
// to 100 characters with '_' and '.', which some of those refuse, so the prefix is made
// from the project and stack names to satisfy the strictest of their rules:
//
//   - characters: the final snapshot identifier allows only ASCII letters, digits and
//     hyphens, must start with a letter, and may not hold "--" or end with '-'
//     (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html,
//     FinalDBSnapshotIdentifier); SQS, SNS, Lambda and Budgets names accept that subset.
//   - length: a function name is at most 64 characters
//     (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, FunctionName),
//     so the prefix leaves room for "-" and the longest role name.
//
// A project-stack name that already satisfies both is the prefix as it is, so deployed
// stacks keep their physical names. Otherwise every run of other characters becomes one
// '-', the name is cut to fit, and "-" plus 8 hex digits of the SHA-256 of the original
// "<project>-<stack>" are appended: the same stack always gets the same prefix, and two
// stacks that differ only in the replaced characters ("dev.1", "dev_1") do not collide.

// maxFunctionName is Lambda's limit on a function name (CreateFunction, FunctionName).
const maxFunctionName = 64

// MaxNamePrefix is the longest prefix NamePrefix returns: a function name
// "<prefix>-<role>" must fit maxFunctionName for every role.
var MaxNamePrefix = maxFunctionName - 1 - longestRole()

func longestRole() int {
	n := 0
	for _, r := range []planner.Role{planner.Fetcher, planner.Writer, planner.Relay} {
		n = max(n, len(r))
	}
	return n
}

var (
	prefixRE  = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9]|-[A-Za-z0-9])*$`)
	nonNameRE = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// NamePrefix is the prefix of every physical name of stack in project (see above).
func NamePrefix(project, stack string) string {
	raw := project + "-" + stack
	if len(raw) <= MaxNamePrefix && prefixRE.MatchString(raw) {
		return raw
	}
	sum := sha256.Sum256([]byte(raw))
	suffix := "-" + hex.EncodeToString(sum[:4])
	s := strings.Trim(nonNameRE.ReplaceAllString(raw, "-"), "-")
	switch {
	case s == "":
		s = "lb"
	case !isLetter(s[0]):
		s = "lb-" + s
	}
	if limit := MaxNamePrefix - len(suffix); len(s) > limit {
		s = strings.TrimRight(s[:limit], "-")
	}
	return s + suffix
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// FunctionName is the physical name of a stack's function of role r: "<prefix>-<role>".
// Infra names the functions with it; whatever looks them up (metrics, redrive) should too.
func FunctionName(namePrefix string, r planner.Role) string { return namePrefix + "-" + string(r) }
