from brainio.cli import main

main()
