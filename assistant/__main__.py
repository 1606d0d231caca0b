from assistant.entry import main

main()
