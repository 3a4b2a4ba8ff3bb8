// One cluster at a time: two would share the machine's cores and blur the failover figure the tests measure.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
