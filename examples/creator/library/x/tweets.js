window.YTD.tweets.part0 = [
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1866785633989654968"
          ],
          "editableUntil": "2024-12-11T11:02:33.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "119"
      ],
      "favorite_count": "133",
      "in_reply_to_status_id_str": null,
      "id_str": "1866785633989654968",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "30",
      "id": "1866785633989654968",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Dec 11 10:02:33 +0000 2024",
      "favorited": false,
      "full_text": "Track time for 4 weeks, not forever. 15-minute blocks, project and task type only. It's a flashlight, not surveillance.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1856718025127742543"
          ],
          "editableUntil": "2024-11-13T16:17:28.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "121"
      ],
      "favorite_count": "51",
      "in_reply_to_status_id_str": null,
      "id_str": "1856718025127742543",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "9",
      "id": "1856718025127742543",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Nov 13 15:17:28 +0000 2024",
      "favorited": false,
      "full_text": "Slack thread + ✅ reaction is not a task. If it takes more than 10 minutes, it goes on the board with an owner and a date.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Agency Ops Live",
            "screen_name": "agencyopslive",
            "indices": [
              "0",
              "14"
            ],
            "id_str": "1456789012345678901",
            "id": "1456789012345678901"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "15",
        "90"
      ],
      "favorite_count": "11",
      "in_reply_to_status_id_str": "1848077390123991040",
      "id_str": "1848280633178134659",
      "in_reply_to_user_id": "1456789012345678901",
      "truncated": false,
      "retweet_count": "1",
      "id": "1848280633178134659",
      "in_reply_to_status_id": "1848077390123991040",
      "in_reply_to_screen_name": "agencyopslive",
      "in_reply_to_user_id_str": "1456789012345678901",
      "created_at": "Mon Oct 21 08:30:17 +0000 2024",
      "favorited": false,
      "full_text": "@agencyopslive Thank you for having me. The coffee queue conversations were the best part.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1843971342336784301"
          ],
          "editableUntil": "2024-10-09T12:06:42.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "162"
      ],
      "favorite_count": "124",
      "in_reply_to_status_id_str": null,
      "id_str": "1843971342336784301",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "19",
      "id": "1843971342336784301",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Oct 09 11:06:42 +0000 2024",
      "favorited": false,
      "full_text": "Price increase letter, plainly: \"From March 1, our rate increases by 10%. This keeps the senior team on your account. Thank you for 2 great years.\" That's enough.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1836341622341182074"
          ],
          "editableUntil": "2024-09-18T10:48:55.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "154"
      ],
      "favorite_count": "240",
      "in_reply_to_status_id_str": null,
      "id_str": "1836341622341182074",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "32",
      "id": "1836341622341182074",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Sep 18 09:48:55 +0000 2024",
      "favorited": false,
      "full_text": "If you can't take 2 weeks off without your laptop, you don't own a company yet. You own a very demanding job. That's fixable, and it takes about 4 months.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter for iPhone</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Priya Shah",
            "screen_name": "priyashahstudio",
            "indices": [
              "3",
              "19"
            ],
            "id_str": "987654321098765432",
            "id": "987654321098765432"
          },
          {
            "name": "Maya Okafor",
            "screen_name": "mayaokafor_ops",
            "indices": [
              "72",
              "87"
            ],
            "id_str": "1349021845339402241",
            "id": "1349021845339402241"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "0",
        "141"
      ],
      "favorite_count": "0",
      "in_reply_to_status_id_str": null,
      "id_str": "1825831266941440793",
      "truncated": false,
      "retweet_count": "67",
      "id": "1825831266941440793",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "created_at": "Tue Aug 20 09:44:31 +0000 2024",
      "favorited": false,
      "full_text": "RT @priyashahstudio: We switched to fixed-scope proposals after reading @mayaokafor_ops. Proposal time down from 6 hours to 2. Close rate up.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1821239963679984780"
          ],
          "editableUntil": "2024-08-07T18:40:19.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "67"
      ],
      "favorite_count": "5",
      "in_reply_to_status_id_str": null,
      "id_str": "1821239963679984780",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "0",
      "id": "1821239963679984780",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Aug 07 17:40:19 +0000 2024",
      "favorited": false,
      "full_text": "Current desk setup: 1 laptop, 1 paper notebook, 1 very loud kettle.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1813558783769693646"
          ],
          "editableUntil": "2024-07-17T13:58:03.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "97"
      ],
      "favorite_count": "46",
      "in_reply_to_status_id_str": null,
      "id_str": "1813558783769693646",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "4",
      "id": "1813558783769693646",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Jul 17 12:58:03 +0000 2024",
      "favorited": false,
      "full_text": "Invoice on day 1. 50% upfront on projects. Net-15, not net-30. Cash flow is a system, not a mood.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1805879067672362396"
          ],
          "editableUntil": "2024-06-26T09:21:36.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "45"
      ],
      "favorite_count": "132",
      "in_reply_to_status_id_str": null,
      "id_str": "1805879067672362396",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "15",
      "id": "1805879067672362396",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Jun 26 08:21:36 +0000 2024",
      "favorited": false,
      "full_text": "Structure first. People second. Heroes never.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1798342620608372154"
          ],
          "editableUntil": "2024-06-05T14:14:27.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "94"
      ],
      "favorite_count": "44",
      "in_reply_to_status_id_str": null,
      "id_str": "1798342620608372154",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "8",
      "id": "1798342620608372154",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Jun 05 13:14:27 +0000 2024",
      "favorited": false,
      "full_text": "Send a check-in email 45 days after a project ends. No pitch. About 1 in 4 turn into new work.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1790693405489084075"
          ],
          "editableUntil": "2024-05-15T11:39:12.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "103"
      ],
      "favorite_count": "17",
      "in_reply_to_status_id_str": null,
      "id_str": "1790693405489084075",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "3",
      "id": "1790693405489084075",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed May 15 10:39:12 +0000 2024",
      "favorited": false,
      "full_text": "Automate a process only after you've done it by hand 10 times. Otherwise you just make the mess faster.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1783165435115779013"
          ],
          "editableUntil": "2024-04-24T17:05:44.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "100"
      ],
      "favorite_count": "106",
      "in_reply_to_status_id_str": null,
      "id_str": "1783165435115779013",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "8",
      "id": "1783165435115779013",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Apr 24 16:05:44 +0000 2024",
      "favorited": false,
      "full_text": "Your team isn't slow. They're booked at 120%. Capacity is a number. Know it before you blame anyone.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1775454978964961622"
          ],
          "editableUntil": "2024-04-03T10:27:08.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "121"
      ],
      "favorite_count": "45",
      "in_reply_to_status_id_str": null,
      "id_str": "1775454978964961622",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "9",
      "id": "1775454978964961622",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Apr 03 09:27:08 +0000 2024",
      "favorited": false,
      "full_text": "The hidden approver is the top cause of late rework. Ask on day 1: who else has to say yes, and have they seen the scope?",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1767925708354988428"
          ],
          "editableUntil": "2024-03-13T15:48:30.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "154"
      ],
      "favorite_count": "208",
      "in_reply_to_status_id_str": null,
      "id_str": "1767925708354988428",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "45",
      "id": "1767925708354988428",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Mar 13 14:48:30 +0000 2024",
      "favorited": false,
      "full_text": "Unpopular opinion: good/better/best pricing is messy for custom services. 1 scope, 1 price, 1 optional add-on. Proposals get faster and close rates go up.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Priya Shah",
            "screen_name": "priyashahstudio",
            "indices": [
              "0",
              "16"
            ],
            "id_str": "987654321098765432",
            "id": "987654321098765432"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "17",
        "118"
      ],
      "favorite_count": "18",
      "in_reply_to_status_id_str": "1762611455871070208",
      "id_str": "1762941025515461386",
      "in_reply_to_user_id": "987654321098765432",
      "truncated": false,
      "retweet_count": "1",
      "id": "1762941025515461386",
      "in_reply_to_status_id": "1762611455871070208",
      "in_reply_to_screen_name": "priyashahstudio",
      "in_reply_to_user_id_str": "987654321098765432",
      "created_at": "Wed Feb 28 20:41:09 +0000 2024",
      "favorited": false,
      "full_text": "@priyashahstudio Same rule I use: 2 rounds included, priced extras, feedback in 1 form. Most projects finish inside 2.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1760261301469652610"
          ],
          "editableUntil": "2024-02-21T12:12:53.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "142"
      ],
      "favorite_count": "35",
      "in_reply_to_status_id_str": null,
      "id_str": "1760261301469652610",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "7",
      "id": "1760261301469652610",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Feb 21 11:12:53 +0000 2024",
      "favorited": false,
      "full_text": "Fastest SOP method I know: record yourself doing the task, have someone turn it into a checklist, watch them use it. Fix where they get stuck.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1752716683902473783"
          ],
          "editableUntil": "2024-01-31T16:33:16.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "89"
      ],
      "favorite_count": "115",
      "in_reply_to_status_id_str": null,
      "id_str": "1752716683902473783",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "15",
      "id": "1752716683902473783",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Jan 31 15:33:16 +0000 2024",
      "favorited": false,
      "full_text": "Growth you can't sustain isn't growth. It's a loan, and the interest is paid in evenings.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1744645370805810759"
          ],
          "editableUntil": "2024-01-09T10:00:45.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "98"
      ],
      "favorite_count": "16",
      "in_reply_to_status_id_str": null,
      "id_str": "1744645370805810759",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "1",
      "id": "1744645370805810759",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Jan 09 09:00:45 +0000 2024",
      "favorited": false,
      "full_text": "3 years independent today. 31 clients. 0 regrets. Still learning how to take a proper lunch break.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1731989377254092079"
          ],
          "editableUntil": "2023-12-05T11:50:21.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "129"
      ],
      "favorite_count": "31",
      "in_reply_to_status_id_str": null,
      "id_str": "1731989377254092079",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "6",
      "id": "1731989377254092079",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Dec 05 10:50:21 +0000 2023",
      "favorited": false,
      "full_text": "The Friday email: what got done, what's next, what I need from you, any risks, 1 win. 10 minutes per client. Fewer worried calls.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter for iPhone</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Tom Halvorsen",
            "screen_name": "tomhalvorsen",
            "indices": [
              "3",
              "16"
            ],
            "id_str": "2233445566778899001",
            "id": "2233445566778899001"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "0",
        "135"
      ],
      "favorite_count": "0",
      "in_reply_to_status_id_str": null,
      "id_str": "1729833836345819425",
      "truncated": false,
      "retweet_count": "41",
      "id": "1729833836345819425",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "created_at": "Wed Nov 29 12:05:00 +0000 2023",
      "favorited": false,
      "full_text": "RT @tomhalvorsen: Every agency owner should read their own onboarding emails once a quarter. As if they were the client. It's humbling.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1724413361125857392"
          ],
          "editableUntil": "2023-11-14T14:05:58.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "145"
      ],
      "favorite_count": "212",
      "in_reply_to_status_id_str": null,
      "id_str": "1724413361125857392",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "46",
      "id": "1724413361125857392",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Nov 14 13:05:58 +0000 2023",
      "favorited": false,
      "full_text": "Meeting budget for every role. Designers 5 hours a week. PMs 10. Leads 8. At 1 studio this gave back 41 hours a week. Nobody hired, nobody fired.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1716737340210167147"
          ],
          "editableUntil": "2023-10-24T09:44:12.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "133"
      ],
      "favorite_count": "28",
      "in_reply_to_status_id_str": null,
      "id_str": "1716737340210167147",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "5",
      "id": "1716737340210167147",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Oct 24 08:44:12 +0000 2023",
      "favorited": false,
      "full_text": "Your first ops hire at 8-12 people isn't a director. It's a coordinator who owns onboarding, invoicing, and the Friday board cleanup.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1709242064435692248"
          ],
          "editableUntil": "2023-10-03T17:20:39.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "130"
      ],
      "favorite_count": "81",
      "in_reply_to_status_id_str": null,
      "id_str": "1709242064435692248",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "9",
      "id": "1709242064435692248",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Oct 03 16:20:39 +0000 2023",
      "favorited": false,
      "full_text": "Hiring a PM? Ask them about a handoff that went wrong. Good ones name the gap and the fix. Weak ones say \"communication\" and stop.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Dan Reyes",
            "screen_name": "danreyes_ops",
            "indices": [
              "0",
              "13"
            ],
            "id_str": "1324567890123456789",
            "id": "1324567890123456789"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "14",
        "104"
      ],
      "favorite_count": "6",
      "in_reply_to_status_id_str": "1706981200412938240",
      "id_str": "1707095927160737083",
      "in_reply_to_user_id": "1324567890123456789",
      "truncated": false,
      "retweet_count": "0",
      "id": "1707095927160737083",
      "in_reply_to_status_id": "1706981200412938240",
      "in_reply_to_screen_name": "danreyes_ops",
      "in_reply_to_user_id_str": "1324567890123456789",
      "created_at": "Wed Sep 27 18:12:40 +0000 2023",
      "favorited": false,
      "full_text": "@danreyes_ops Yes. And the 2nd meeting is always \"to align on the first meeting.\" Write it down instead.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1701559043225124275"
          ],
          "editableUntil": "2023-09-12T12:31:04.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "70"
      ],
      "favorite_count": "12",
      "in_reply_to_status_id_str": null,
      "id_str": "1701559043225124275",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "2",
      "id": "1701559043225124275",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Sep 12 11:31:04 +0000 2023",
      "favorited": false,
      "full_text": "A retainer without a monthly report is a retainer with an expiry date.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1694000290854805759"
          ],
          "editableUntil": "2023-08-22T15:55:17.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "127"
      ],
      "favorite_count": "92",
      "in_reply_to_status_id_str": null,
      "id_str": "1694000290854805759",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "15",
      "id": "1694000290854805759",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Aug 22 14:55:17 +0000 2023",
      "favorited": false,
      "full_text": "Plainly: scope creep is what happens when nobody wrote down where the scope ends. Write the \"out of scope\" list before kickoff.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1686304720287369335"
          ],
          "editableUntil": "2023-08-01T10:15:50.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "110"
      ],
      "favorite_count": "34",
      "in_reply_to_status_id_str": null,
      "id_str": "1686304720287369335",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "3",
      "id": "1686304720287369335",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Aug 01 09:15:50 +0000 2023",
      "favorited": false,
      "full_text": "Deleted every recurring meeting on my calendar. Re-added the ones I missed after a week. I missed 3 out of 11.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1678746072776227043"
          ],
          "editableUntil": "2023-07-11T13:40:28.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "128"
      ],
      "favorite_count": "147",
      "in_reply_to_status_id_str": null,
      "id_str": "1678746072776227043",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "35",
      "id": "1678746072776227043",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Jul 11 12:40:28 +0000 2023",
      "favorited": false,
      "full_text": "Revenue is what you say at conferences. Margin is what pays your rent. Check delivery margin per client at least once a quarter.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1671201782366430379"
          ],
          "editableUntil": "2023-06-20T18:02:09.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "90"
      ],
      "favorite_count": "3",
      "in_reply_to_status_id_str": null,
      "id_str": "1671201782366430379",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "0",
      "id": "1671201782366430379",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Jun 20 17:02:09 +0000 2023",
      "favorited": false,
      "full_text": "The Ops Letter goes weekly from next Tuesday. 1 idea, 1 template, 1 question. Link in bio.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1663491636592445667"
          ],
          "editableUntil": "2023-05-30T11:24:47.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "155"
      ],
      "favorite_count": "32",
      "in_reply_to_status_id_str": null,
      "id_str": "1663491636592445667",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "6",
      "id": "1663491636592445667",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue May 30 10:24:47 +0000 2023",
      "favorited": false,
      "full_text": "Questions I ask on every first call:\n→ What happened with the last agency?\n→ What does \"ASAP\" mean in dates?\n→ Who else signs off?\nThe answers save months.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1655953406949853843"
          ],
          "editableUntil": "2023-05-09T16:10:33.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "128"
      ],
      "favorite_count": "82",
      "in_reply_to_status_id_str": null,
      "id_str": "1655953406949853843",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "17",
      "id": "1655953406949853843",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue May 09 15:10:33 +0000 2023",
      "favorited": false,
      "full_text": "Here's the thing. Your project tool isn't broken. You never agreed where tasks live or who owns them. A new tool won't fix that.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1648248055267185368"
          ],
          "editableUntil": "2023-04-18T09:52:14.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "107"
      ],
      "favorite_count": "11",
      "in_reply_to_status_id_str": null,
      "id_str": "1648248055267185368",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "1",
      "id": "1648248055267185368",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Apr 18 08:52:14 +0000 2023",
      "favorited": false,
      "full_text": "Tuesday plan: 0 meetings before 11am. 3 hours of writing. 1 client call. Inbox twice. That's the whole day.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1641072045718624298"
          ],
          "editableUntil": "2023-03-29T14:37:20.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "112"
      ],
      "favorite_count": "32",
      "in_reply_to_status_id_str": null,
      "id_str": "1641072045718624298",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "5",
      "id": "1641072045718624298",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Wed Mar 29 13:37:20 +0000 2023",
      "favorited": false,
      "full_text": "An SOP nobody opens is a diary entry. Make it 1 page, put it inside the project template, and put a name on top.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1633064678981583065"
          ],
          "editableUntil": "2023-03-07T12:18:55.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "114"
      ],
      "favorite_count": "170",
      "in_reply_to_status_id_str": null,
      "id_str": "1633064678981583065",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "21",
      "id": "1633064678981583065",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Mar 07 11:18:55 +0000 2023",
      "favorited": false,
      "full_text": "Unpopular opinion: discounts aren't generous. They're a tax on your future self. Offer less scope, not less price.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1625536603748434690"
          ],
          "editableUntil": "2023-02-14T17:45:02.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "97"
      ],
      "favorite_count": "11",
      "in_reply_to_status_id_str": null,
      "id_str": "1625536603748434690",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "2",
      "id": "1625536603748434690",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Tue Feb 14 16:45:02 +0000 2023",
      "favorited": false,
      "full_text": "Boring systems make calm agencies. Calm agencies keep clients. That's most of the business model.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1618535131775069227"
          ],
          "editableUntil": "2023-01-26T10:03:41.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "121"
      ],
      "favorite_count": "23",
      "in_reply_to_status_id_str": null,
      "id_str": "1618535131775069227",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "2",
      "id": "1618535131775069227",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Thu Jan 26 09:03:41 +0000 2023",
      "favorited": false,
      "full_text": "Most agency chaos starts at the handoff from sales to delivery. Write down what was promised. All of it. Within 48 hours.",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1611005135551725723"
          ],
          "editableUntil": "2023-01-05T15:22:10.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "138"
      ],
      "favorite_count": "55",
      "in_reply_to_status_id_str": null,
      "id_str": "1611005135551725723",
      "in_reply_to_user_id": null,
      "truncated": false,
      "retweet_count": "11",
      "id": "1611005135551725723",
      "in_reply_to_status_id": null,
      "in_reply_to_screen_name": null,
      "in_reply_to_user_id_str": null,
      "created_at": "Thu Jan 05 14:22:10 +0000 2023",
      "favorited": false,
      "full_text": "Quick one. If your team reads the project board out loud every Monday, you don't have a meeting. You have a trust problem with your board.",
      "lang": "en"
    }
  }
]
