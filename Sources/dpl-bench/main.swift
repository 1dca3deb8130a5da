print("dpl-bench")
