// Command lambdabridge is the Pulumi program: it reads the stack config, runs the cost
// planner, shows its report in `pulumi preview` (Diagnostics) and the stack outputs, and
// provisions the chosen topology with the Go handlers built in-program.
package main

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

func main() {
	pulumi.Run(program)
}
