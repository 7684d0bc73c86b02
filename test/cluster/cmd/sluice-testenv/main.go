// Command sluice-testenv is sluice's local Kubernetes control plane for integration tests,
// demos and benchmarks. One binary, several roles (see docs/adr/0002-local-control-plane.md):
//
//	sluice-testenv serve --dir DIR     embedded etcd + kube-apiserver + pod simulator in this
//	                                   process, kube-controller-manager as a child process
//	sluice-testenv apiserver ARGS      plain kube-apiserver
//	sluice-testenv controller-manager ARGS
//	sluice-testenv kubectl ARGS        kubectl (also when the binary is invoked as "kubectl")
//	sluice-testenv version
package main

import (
	"fmt"
	"os"
	"path/filepath"

	_ "time/tzdata"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/component-base/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	cmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sluice-testenv serve|apiserver|controller-manager|kubectl|version [args]")
	os.Exit(2)
}

func runKubectl() {
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err)
	}
	os.Exit(0)
}

func main() {
	if filepath.Base(os.Args[0]) == "kubectl" {
		runKubectl()
	}
	if len(os.Args) < 2 {
		usage()
	}
	role := os.Args[1]
	switch role {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "apiserver":
		c := apiserverapp.NewAPIServerCommand()
		c.SetArgs(os.Args[2:])
		os.Exit(cli.Run(c))
	case "controller-manager":
		c := cmapp.NewControllerManagerCommand()
		c.SetArgs(os.Args[2:])
		os.Exit(cli.Run(c))
	case "kubectl":
		// kubectl reads os.Args itself (plugins, .kuberc): make it look like a plain kubectl call.
		os.Args = append([]string{"kubectl"}, os.Args[2:]...)
		runKubectl()
	case "version":
		fmt.Println(version.Get().GitVersion)
	default:
		usage()
	}
}
