trt/
Strt/
>>