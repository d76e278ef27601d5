"""One module per `allsmi` subcommand: add_arguments(parser) and run(args, config)."""
