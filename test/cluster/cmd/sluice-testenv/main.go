package main

import (
	"fmt"
	"os"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/informers"
	"k8s.io/component-base/cli"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	cmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

var _ = embed.NewConfig
var _ = informers.NewSharedInformerFactory

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "apiserver":
		c := apiserverapp.NewAPIServerCommand()
		c.SetArgs(os.Args[2:])
		os.Exit(cli.Run(c))
	case "controller-manager":
		c := cmapp.NewControllerManagerCommand()
		c.SetArgs(os.Args[2:])
		os.Exit(cli.Run(c))
	case "kubectl":
		c := kubectlcmd.NewDefaultKubectlCommand()
		c.SetArgs(os.Args[2:])
		os.Exit(cli.Run(c))
	}
}
