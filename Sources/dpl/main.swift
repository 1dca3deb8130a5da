print("dpl: the language front end is being built (issue 3)")
